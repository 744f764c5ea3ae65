import { FORM_NAMES, type InvoiceDocument, type VatRate } from './hoadon.model.js';
import { vietnamDateTime } from './hoadon.sign.js';
import type { InvoiceTotals } from './hoadon.totals.js';

/**
 * The printable view of an invoice ("bản thể hiện của hóa đơn điện tử"): one self-contained HTML page
 * (inline CSS, no script, no external resource) with the Vietnamese labels of a real invoice and their
 * English glosses, amounts written the Vietnamese way (1.250.000,5), the total in words, and the
 * signature box. Every piece of data is HTML-escaped; the page is safe to serve as text/html.
 */

export interface RenderOptions {
  /** The seller's verified signature; without it the box says the invoice is not signed. */
  signed?: { subject: string; signingTime: string | Date };
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

/** A decimal string as Vietnamese invoices print it: "." groups thousands, "," before decimals. */
export function formatVietnameseNumber(value: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return value;
  const int = (m[2] ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${m[1]}${int}${m[3] ? `,${m[3]}` : ''}`;
}

/** "Ngày 21 tháng 11 năm 2026" from YYYY-MM-DD. */
export function vietnameseDate(iso: string): string {
  const [y, m, d] = iso.split('-');
  return `Ngày ${d} tháng ${m} năm ${y}`;
}

const displayDate = (iso: string): string => iso.split('-').reverse().join('/');

const RATE_LABEL: Readonly<Record<VatRate, string>> = {
  '0%': '0%',
  '5%': '5%',
  '8%': '8%',
  '10%': '10%',
  KCT: 'Không chịu thuế',
  KKKNT: 'Không kê khai, tính nộp thuế',
};

const CSS = `
*{box-sizing:border-box}
body{font-family:"Times New Roman",Times,serif;font-size:13px;color:#111;margin:0;background:#eee}
.page{width:210mm;min-height:297mm;margin:12px auto;padding:14mm 12mm;background:#fff;border:1px solid #ccc}
h1{font-size:20px;text-align:center;margin:0;color:#b00}
.sub{text-align:center;font-style:italic;margin:2px 0}
.meta{display:flex;justify-content:space-between;margin:10px 0 6px}
.meta div{line-height:1.5}
.party{border-top:1px solid #999;padding:6px 0;line-height:1.6}
.label{color:#444}
.en{color:#777;font-style:italic;font-size:11px}
table{width:100%;border-collapse:collapse;margin-top:6px}
th,td{border:1px solid #555;padding:4px 5px;vertical-align:top}
th{background:#f3f3f3;font-weight:bold;text-align:center}
td.num{text-align:right;white-space:nowrap}
td.c{text-align:center}
tr.note td{font-style:italic}
.totals td{border:none;padding:2px 5px}
.totals td.num{font-weight:bold}
.words{margin-top:6px}
.related{margin:6px 0;padding:6px;border:1px dashed #b00}
.signs{display:flex;justify-content:space-between;margin-top:18px;text-align:center}
.signs>div{width:45%}
.sig{margin-top:8px;border:2px solid #2a7a2a;color:#2a7a2a;padding:6px;text-align:left;font-size:12px}
.sig.none{border-color:#b00;color:#b00}
@media print{body{background:#fff}.page{margin:0;border:none;width:auto;min-height:auto}}
`;

/**
 * Renders the printable page. `totals` are the amounts to print: the ones read from the issued XML
 * (parseInvoiceXml) or freshly computed (computeTotals) — the same numbers for a sound invoice.
 */
export function renderInvoiceHtml(
  doc: InvoiceDocument,
  totals: InvoiceTotals,
  options: RenderOptions = {},
): string {
  const e = escapeHtml;
  const n = formatVietnameseNumber;
  const vat = doc.form === '1';
  const row = (label: string, en: string, value: string | undefined): string =>
    value === undefined || value === ''
      ? ''
      : `<div><span class="label">${label}</span> <span class="en">(${en})</span>: ${e(value)}</div>`;

  const bank =
    doc.seller.bankAccount !== undefined
      ? `${doc.seller.bankAccount}${doc.seller.bankName ? ` tại ${doc.seller.bankName}` : ''}`
      : undefined;

  const lineRows = doc.lines
    .map((line, i) => {
      const stt = String(i + 1);
      if (line.kind === 4) {
        return `<tr class="note"><td class="c">${stt}</td><td colspan="${vat ? 6 : 5}">${e(line.name)}</td></tr>`;
      }
      const amount = totals.lines[i]?.amount ?? '0';
      // A discount subtracts: print it with its sign flipped, as the totals apply it.
      const shown =
        line.kind !== 3 || amount === '0' ? amount : amount.startsWith('-') ? amount.slice(1) : `-${amount}`;
      const name =
        line.kind === 2
          ? `${e(line.name)} <span class="en">(Hàng khuyến mại không thu tiền)</span>`
          : line.kind === 3
            ? `${e(line.name)} <span class="en">(Chiết khấu thương mại)</span>`
            : e(line.name);
      return (
        `<tr><td class="c">${stt}</td><td>${name}</td><td class="c">${e(line.unit ?? '')}</td>` +
        `<td class="num">${e(n(line.quantity))}</td><td class="num">${e(n(line.unitPrice))}</td>` +
        `<td class="num">${e(n(shown))}</td>${vat ? `<td class="c">${e(line.vatRate ? RATE_LABEL[line.vatRate] : '')}</td>` : ''}</tr>`
      );
    })
    .join('');

  const groupRows = vat
    ? totals.groups
        .map(
          (g) =>
            `<tr><td>Tổng tiền chịu thuế suất ${e(RATE_LABEL[g.rate])}</td><td class="num">${e(n(g.amount))}</td>` +
            `<td>Tiền thuế GTGT</td><td class="num">${e(n(g.vat))}</td></tr>`,
        )
        .join('')
    : '';

  const totalRows = [
    vat ? ['Cộng tiền hàng', 'Total before VAT', totals.totalBeforeVat] : null,
    vat ? ['Tiền thuế GTGT', 'VAT amount', totals.vatTotal] : null,
    totals.discountTotal !== '0' ? ['Chiết khấu thương mại', 'Trade discount', totals.discountTotal] : null,
    ['Tổng tiền thanh toán', 'Total payment', totals.grandTotal],
  ]
    .filter((r): r is [string, string, string] => r !== null)
    .map(
      ([vi, en, v]) =>
        `<tr><td colspan="3" style="text-align:right">${vi} <span class="en">(${en})</span>:</td>` +
        `<td class="num">${e(n(v))} ${e(doc.currency)}</td></tr>`,
    )
    .join('');

  const related = doc.related
    ? `<div class="related">${doc.related.relation === 'adjustment' ? 'Điều chỉnh cho' : 'Thay thế cho'} hóa đơn ` +
      `<span class="en">(${doc.related.relation === 'adjustment' ? 'adjusts' : 'replaces'} invoice)</span> ` +
      `mẫu số ${e(doc.related.form)}, ký hiệu ${e(doc.related.symbol)}, số ${e(String(doc.related.number))}, ` +
      `ngày ${e(displayDate(doc.related.issueDate))}</div>`
    : '';

  const signed = options.signed;
  const signingTime =
    signed === undefined
      ? ''
      : signed.signingTime instanceof Date
        ? vietnamDateTime(signed.signingTime)
        : signed.signingTime;
  const sellerSig = signed
    ? `<div class="sig"><b>Signature Valid</b><br>Ký bởi <span class="en">(Signed by)</span>: ${e(signed.subject)}<br>` +
      `Ký ngày <span class="en">(Signing date)</span>: ${e(signingTime)}</div>`
    : `<div class="sig none">Chưa ký số <span class="en">(Not signed)</span></div>`;

  return `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${e(FORM_NAMES[doc.form])} ${e(doc.symbol)} số ${e(String(doc.number))}</title>
<style>${CSS}</style></head>
<body><div class="page">
<h1>${e(FORM_NAMES[doc.form].toLocaleUpperCase('vi'))}</h1>
<div class="sub">${vat ? '(VAT INVOICE)' : '(SALES INVOICE)'}</div>
<div class="sub">(Bản thể hiện của hóa đơn điện tử)</div>
<div class="sub">${e(vietnameseDate(doc.issueDate))}</div>
<div class="meta"><div>${row('Mẫu số', 'Form', doc.form)}${row('Ký hiệu', 'Serial', doc.symbol)}${row('Số', 'No.', String(doc.number))}</div>
<div>${row('Mã số thuế tổ chức cung cấp giải pháp', 'Provider tax code', doc.providerMst)}</div></div>
${related}
<div class="party">${row('Đơn vị bán hàng', 'Seller', doc.seller.name)}${row('Mã số thuế', 'Tax code', doc.seller.mst)}${row('Địa chỉ', 'Address', doc.seller.address)}${row('Điện thoại', 'Phone', doc.seller.phone)}${row('Email', 'Email', doc.seller.email)}${row('Số tài khoản', 'Bank account', bank)}</div>
<div class="party">${row('Họ tên người mua hàng', 'Buyer', doc.buyer.buyerName)}${row('Tên đơn vị', 'Company', doc.buyer.name)}${row('Mã số thuế', 'Tax code', doc.buyer.mst)}${row('Số CCCD', 'Citizen ID', doc.buyer.nationalId)}${row('Địa chỉ', 'Address', doc.buyer.address)}${row('Điện thoại', 'Phone', doc.buyer.phone)}${row('Email', 'Email', doc.buyer.email)}${row('Hình thức thanh toán', 'Payment method', doc.paymentMethod)}${row('Đồng tiền thanh toán', 'Currency', doc.currency)}${doc.currency === 'VND' ? '' : row('Tỷ giá', 'Exchange rate', `${n(doc.exchangeRate)} VND/${doc.currency}`)}</div>
<table><thead><tr><th>STT<br><span class="en">No.</span></th><th>Tên hàng hóa, dịch vụ<br><span class="en">Description</span></th><th>Đơn vị tính<br><span class="en">Unit</span></th><th>Số lượng<br><span class="en">Quantity</span></th><th>Đơn giá<br><span class="en">Unit price</span></th><th>Thành tiền<br><span class="en">Amount</span></th>${vat ? '<th>Thuế suất<br><span class="en">VAT rate</span></th>' : ''}</tr></thead>
<tbody>${lineRows}</tbody></table>
<table class="totals"><tbody>${groupRows}${totalRows}</tbody></table>
<div class="words"><span class="label">Số tiền viết bằng chữ</span> <span class="en">(Amount in words)</span>: <b>${e(totals.grandTotalInWords)}</b></div>
<div class="signs"><div><b>Người mua hàng</b><br><span class="en">(Buyer)</span></div>
<div><b>Người bán hàng</b><br><span class="en">(Seller)</span>${sellerSig}</div></div>
</div></body></html>
`;
}
