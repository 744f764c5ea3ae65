import { DOMImplementation, DOMParser, type Element, XMLSerializer } from '@xmldom/xmldom';
import {
  FORM_NAMES,
  type InvoiceDocument,
  type InvoiceDocumentInput,
  type InvoiceLine,
  invoiceDocumentSchema,
  type RelatedInvoice,
  VAT_RATES,
  type VatRate,
} from './hoadon.model.js';
import { computeTotals, type InvoiceTotals } from './hoadon.totals.js';

/**
 * The invoice as XML in the tax authority's tree (Decision 1450/QĐ-TCT field names, kept by 1271/QĐ-CT):
 *
 *   HDon > DLHDon[@Id] > TTChung, NDHDon > (NBan, NMua, DSHHDVu > HHDVu*, TToan)
 *        > DSCKS > NBan  (the slot the seller's ds:Signature goes into)
 *
 * Built as a DOM with @xmldom/xmldom so escaping is the serializer's job and the output is always
 * well-formed; compact (no indentation) because whitespace inside a signed element is signed too.
 * Elements are in no namespace, as in real files. Exactly what this emits is described by
 * xsd/hoadon-v1.xsd.
 */

/** PBan: the version of the data format the content follows. */
export const FORMAT_VERSION = '2.1.0';

/** TCHDon: 1 replaces the related invoice, 2 adjusts it. */
const RELATION_CODE: Readonly<Record<RelatedInvoice['relation'], '1' | '2'>> = {
  replacement: '1',
  adjustment: '2',
};
/** LHDCLQuan: the related invoice is an e-invoice under Decree 123/2020 (the only kind this CRM issues). */
const RELATED_KIND_DECREE_123 = '1';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * Builds the unsigned invoice XML (UTF-8, NFC). The document is validated and normalized with the
 * model's schema first (throws a ZodError naming the field), and the amounts come from computeTotals
 * (throws AppError `invoice_invalid` past 21 digits).
 */
export function buildInvoiceXml(input: InvoiceDocument | InvoiceDocumentInput): string {
  const doc = invoiceDocumentSchema.parse(input);
  const totals = computeTotals(doc);
  const dom = new DOMImplementation().createDocument(null, 'HDon', null);
  const root = dom.documentElement;
  if (!root) throw new Error('xmldom created no root element');

  const el = (parent: Element, name: string, text?: string): Element => {
    const e = dom.createElement(name);
    if (text !== undefined) e.appendChild(dom.createTextNode(text));
    parent.appendChild(e);
    return e;
  };
  const opt = (parent: Element, name: string, text: string | undefined): void => {
    if (text !== undefined) el(parent, name, text);
  };

  const dl = el(root, 'DLHDon');
  dl.setAttribute('Id', doc.id);

  const tt = el(dl, 'TTChung');
  el(tt, 'PBan', FORMAT_VERSION);
  el(tt, 'THDon', FORM_NAMES[doc.form]);
  el(tt, 'KHMSHDon', doc.form);
  el(tt, 'KHHDon', doc.symbol);
  el(tt, 'SHDon', String(doc.number));
  el(tt, 'NLap', doc.issueDate);
  el(tt, 'DVTTe', doc.currency);
  el(tt, 'TGia', doc.exchangeRate);
  el(tt, 'HTTToan', doc.paymentMethod);
  el(tt, 'MSTTCGP', doc.providerMst);
  if (doc.related) {
    const rel = el(tt, 'TTHDLQuan');
    el(rel, 'TCHDon', RELATION_CODE[doc.related.relation]);
    el(rel, 'LHDCLQuan', RELATED_KIND_DECREE_123);
    el(rel, 'KHMSHDCLQuan', doc.related.form);
    el(rel, 'KHHDCLQuan', doc.related.symbol);
    el(rel, 'SHDCLQuan', String(doc.related.number));
    el(rel, 'NLHDCLQuan', doc.related.issueDate);
  }

  const nd = el(dl, 'NDHDon');
  const seller = el(nd, 'NBan');
  el(seller, 'Ten', doc.seller.name);
  el(seller, 'MST', doc.seller.mst);
  el(seller, 'DChi', doc.seller.address);
  opt(seller, 'SDThoai', doc.seller.phone);
  opt(seller, 'DCTDTu', doc.seller.email);
  opt(seller, 'STKNHang', doc.seller.bankAccount);
  opt(seller, 'TNHang', doc.seller.bankName);

  const buyer = el(nd, 'NMua');
  el(buyer, 'Ten', doc.buyer.name);
  opt(buyer, 'MST', doc.buyer.mst);
  el(buyer, 'DChi', doc.buyer.address);
  opt(buyer, 'CCCDan', doc.buyer.nationalId);
  opt(buyer, 'SDThoai', doc.buyer.phone);
  opt(buyer, 'DCTDTu', doc.buyer.email);
  opt(buyer, 'HVTNMHang', doc.buyer.buyerName);

  const items = el(nd, 'DSHHDVu');
  doc.lines.forEach((line, i) => {
    const item = el(items, 'HHDVu');
    el(item, 'TChat', String(line.kind));
    el(item, 'STT', String(i + 1));
    el(item, 'THHDVu', line.name);
    if (line.kind === 4) return;
    opt(item, 'DVTinh', line.unit);
    el(item, 'SLuong', line.quantity);
    el(item, 'DGia', line.unitPrice);
    el(item, 'ThTien', totals.lines[i]?.amount ?? '0');
    opt(item, 'TSuat', line.vatRate);
  });

  const pay = el(nd, 'TToan');
  if (doc.form === '1') {
    const groups = el(pay, 'THTTLTSuat');
    for (const g of totals.groups) {
      const group = el(groups, 'LTSuat');
      el(group, 'TSuat', g.rate);
      el(group, 'ThTien', g.amount);
      el(group, 'TThue', g.vat);
    }
    el(pay, 'TgTCThue', totals.totalBeforeVat);
    el(pay, 'TgTThue', totals.vatTotal);
  }
  if (totals.discountTotal !== '0') el(pay, 'TTCKTMai', totals.discountTotal);
  el(pay, 'TgTTTBSo', totals.grandTotal);
  el(pay, 'TgTTTBChu', totals.grandTotalInWords);

  el(el(root, 'DSCKS'), 'NBan');

  return `${XML_DECLARATION}${new XMLSerializer().serializeToString(dom)}`.normalize('NFC');
}

// ---------------------------------------------------------------------------------------------------
// Reading back

export interface ParsedInvoice {
  /** The document, normalized and checked by the model's schema. */
  document: InvoiceDocument;
  /** The amounts as written in the XML (not recomputed): what was issued. */
  totals: InvoiceTotals;
  /** Whether DSCKS/NBan holds a seller signature (not whether it verifies: see verifyInvoiceSignature). */
  signed: boolean;
}

export class InvoiceXmlError extends Error {
  override readonly name = 'InvoiceXmlError';
}

/** Parses XML text strictly: any well-formedness error and any DOCTYPE (entity tricks) are refused. */
export function parseXmlDocument(xml: string): Element {
  let dom: ReturnType<DOMParser['parseFromString']>;
  try {
    dom = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (e) {
    // xmldom wraps what onError throws in its ParseError; callers get one error type.
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
    throw new InvoiceXmlError(
      `not well-formed XML: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause: e,
      },
    );
  }
  if (dom.doctype) throw new InvoiceXmlError('a DOCTYPE is not allowed in an invoice');
  const root = dom.documentElement;
  if (!root) throw new InvoiceXmlError('no root element');
  return root;
}

const children = (parent: Element, name?: string): Element[] => {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE && (name === undefined || (n as Element).localName === name)) {
      out.push(n as Element);
    }
  }
  return out;
};
const child = (parent: Element, name: string): Element | undefined => children(parent, name)[0];
const need = (parent: Element, name: string): Element => {
  const e = child(parent, name);
  if (!e) throw new InvoiceXmlError(`${parent.tagName} has no ${name}`);
  return e;
};
const text = (parent: Element, name: string): string | undefined =>
  child(parent, name)?.textContent ?? undefined;
const needText = (parent: Element, name: string): string => need(parent, name).textContent ?? '';

const RELATION_OF_CODE: Readonly<Record<string, RelatedInvoice['relation']>> = {
  '1': 'replacement',
  '2': 'adjustment',
};

const asRate = (v: string | undefined): VatRate | undefined => {
  if (v === undefined) return undefined;
  if (!(VAT_RATES as readonly string[]).includes(v)) throw new InvoiceXmlError(`unknown TSuat ${v}`);
  return v as VatRate;
};

/**
 * Reads an invoice XML (signed or not) back into the document and the amounts it states. Throws
 * InvoiceXmlError for XML that is not an invoice, and a ZodError when the content breaks the model.
 */
export function parseInvoiceXml(xml: string): ParsedInvoice {
  const root = parseXmlDocument(xml);
  if (root.localName !== 'HDon') throw new InvoiceXmlError(`root is ${root.tagName}, not HDon`);
  const dl = need(root, 'DLHDon');
  const tt = need(dl, 'TTChung');
  const nd = need(dl, 'NDHDon');
  const nban = need(nd, 'NBan');
  const nmua = need(nd, 'NMua');
  const pay = need(nd, 'TToan');
  const rel = child(tt, 'TTHDLQuan');

  const optional = <K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> =>
    value === undefined ? {} : ({ [key]: value } as Record<K, string>);

  const lines: InvoiceLine[] = [];
  const lineTotals: InvoiceTotals['lines'] = [];
  for (const item of children(need(nd, 'DSHHDVu'), 'HHDVu')) {
    const kind = Number(needText(item, 'TChat'));
    const position = Number(needText(item, 'STT'));
    const name = needText(item, 'THHDVu');
    if (kind === 4) {
      lines.push({ kind: 4, name });
      lineTotals.push({ position, amount: null });
      continue;
    }
    if (kind !== 1 && kind !== 2 && kind !== 3) throw new InvoiceXmlError(`unknown TChat ${kind}`);
    const vatRate = asRate(text(item, 'TSuat'));
    lines.push({
      kind,
      name,
      ...optional('unit', text(item, 'DVTinh')),
      quantity: needText(item, 'SLuong'),
      unitPrice: needText(item, 'DGia'),
      ...(vatRate === undefined ? {} : { vatRate }),
    });
    lineTotals.push({ position, amount: needText(item, 'ThTien') });
  }

  const document = invoiceDocumentSchema.parse({
    id: dl.getAttribute('Id') ?? '',
    form: needText(tt, 'KHMSHDon'),
    symbol: needText(tt, 'KHHDon'),
    number: Number(needText(tt, 'SHDon')),
    issueDate: needText(tt, 'NLap'),
    currency: needText(tt, 'DVTTe'),
    exchangeRate: needText(tt, 'TGia'),
    paymentMethod: needText(tt, 'HTTToan'),
    providerMst: needText(tt, 'MSTTCGP'),
    seller: {
      name: needText(nban, 'Ten'),
      mst: needText(nban, 'MST'),
      address: needText(nban, 'DChi'),
      ...optional('phone', text(nban, 'SDThoai')),
      ...optional('email', text(nban, 'DCTDTu')),
      ...optional('bankAccount', text(nban, 'STKNHang')),
      ...optional('bankName', text(nban, 'TNHang')),
    },
    buyer: {
      name: needText(nmua, 'Ten'),
      ...optional('mst', text(nmua, 'MST')),
      address: needText(nmua, 'DChi'),
      ...optional('nationalId', text(nmua, 'CCCDan')),
      ...optional('phone', text(nmua, 'SDThoai')),
      ...optional('email', text(nmua, 'DCTDTu')),
      ...optional('buyerName', text(nmua, 'HVTNMHang')),
    },
    lines,
    ...(rel
      ? {
          related: {
            relation: RELATION_OF_CODE[needText(rel, 'TCHDon')] ?? 'unknown',
            form: needText(rel, 'KHMSHDCLQuan'),
            symbol: needText(rel, 'KHHDCLQuan'),
            number: Number(needText(rel, 'SHDCLQuan')),
            issueDate: needText(rel, 'NLHDCLQuan'),
          },
        }
      : {}),
  });

  const groupsEl = child(pay, 'THTTLTSuat');
  const groups = groupsEl
    ? children(groupsEl, 'LTSuat').map((g) => ({
        rate: asRate(needText(g, 'TSuat')) ?? '10%',
        amount: needText(g, 'ThTien'),
        vat: needText(g, 'TThue'),
      }))
    : [];
  const grandTotal = needText(pay, 'TgTTTBSo');
  const totals: InvoiceTotals = {
    currency: document.currency,
    lines: lineTotals,
    groups,
    totalBeforeVat: text(pay, 'TgTCThue') ?? grandTotal,
    vatTotal: text(pay, 'TgTThue') ?? '0',
    grandTotal,
    grandTotalInWords: needText(pay, 'TgTTTBChu'),
    discountTotal: text(pay, 'TTCKTMai') ?? '0',
  };

  const dscks = child(root, 'DSCKS');
  const sellerSlot = dscks ? child(dscks, 'NBan') : undefined;
  const signed = sellerSlot ? children(sellerSlot, 'Signature').length > 0 : false;
  return { document, totals, signed };
}
