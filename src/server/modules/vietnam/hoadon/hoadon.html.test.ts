import { describe, expect, it } from 'vitest';
import { sampleInvoice } from './hoadon.fixtures.js';
import { escapeHtml, formatVietnameseNumber, renderInvoiceHtml, vietnameseDate } from './hoadon.html.js';
import { type InvoiceDocumentInput, parseInvoiceDocument } from './hoadon.model.js';
import { computeTotals } from './hoadon.totals.js';

const render = (
  overrides: Partial<InvoiceDocumentInput> = {},
  signed?: { subject: string; signingTime: string | Date },
) => {
  const doc = parseInvoiceDocument(sampleInvoice(overrides));
  return renderInvoiceHtml(doc, computeTotals(doc), signed ? { signed } : {});
};

describe('Vietnamese formats', () => {
  it('groups thousands with "." and writes decimals after ","', () => {
    expect(formatVietnameseNumber('1250000')).toBe('1.250.000');
    expect(formatVietnameseNumber('999')).toBe('999');
    expect(formatVietnameseNumber('1000')).toBe('1.000');
    expect(formatVietnameseNumber('12.5')).toBe('12,5');
    expect(formatVietnameseNumber('1234567.891')).toBe('1.234.567,891');
    expect(formatVietnameseNumber('-220000')).toBe('-220.000');
    expect(formatVietnameseNumber('not a number')).toBe('not a number');
  });

  it('dates', () => {
    expect(vietnameseDate('2026-11-21')).toBe('Ngày 21 tháng 11 năm 2026');
  });

  it('escapes every HTML special', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});

describe('the printable invoice', () => {
  it('is a self-contained page with the Vietnamese labels, amounts and words', () => {
    const html = render();
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="vi">');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    for (const label of [
      'HÓA ĐƠN GIÁ TRỊ GIA TĂNG',
      'Bản thể hiện của hóa đơn điện tử',
      'Ngày 21 tháng 11 năm 2026',
      'Ký hiệu',
      'Đơn vị bán hàng',
      'Mã số thuế',
      'Địa chỉ',
      'Số tài khoản',
      'Họ tên người mua hàng',
      'Hình thức thanh toán',
      'Tên hàng hóa, dịch vụ',
      'Thuế suất',
      'Cộng tiền hàng',
      'Tiền thuế GTGT',
      'Tổng tiền thanh toán',
      'Số tiền viết bằng chữ',
      'Người bán hàng',
    ]) {
      expect(html, label).toContain(label);
    }
    expect(html).toContain('0011000000001 tại Vietcombank - Chi nhánh Hà Nội');
    expect(html).toContain('<td class="num">4.375.000</td>'); // 12,5 giờ × 350.000
    expect(html).toContain('<td class="num">12,5</td>');
    expect(html).toContain('<td class="num">-150.000</td>'); // the discount subtracts
    expect(html).toContain('Hàng khuyến mại không thu tiền');
    expect(html).toContain('Không chịu thuế');
    expect(html).toContain('10.268.500 VND');
    expect(html).toContain('<b>Mười triệu hai trăm sáu mươi tám nghìn năm trăm đồng</b>');
    expect(html).toContain('Chưa ký số');
  });

  it('escapes everything that came from data', () => {
    const evil = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
    const html = render({
      buyer: { name: evil, address: `"><b>addr</b>`, buyerName: "O'Brien" },
      lines: [{ kind: 1, name: evil, unit: '<u>', quantity: '1', unitPrice: '1', vatRate: '10%' }],
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>addr</b>');
    expect(html).not.toContain('<u>');
    expect(html).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(html).toContain('O&#39;Brien');
    const signed = render({}, { subject: 'CN=<i>x</i>', signingTime: '2026-11-21T10:00:00+07:00' });
    expect(signed).toContain('CN=&lt;i&gt;x&lt;/i&gt;');
  });

  it('shows the signature box when signed', () => {
    const html = render(
      {},
      { subject: 'UID=MST:0100109106,CN=Viettel,C=VN', signingTime: new Date('2026-11-21T03:04:05Z') },
    );
    expect(html).toContain('Signature Valid');
    expect(html).toContain('UID=MST:0100109106,CN=Viettel,C=VN');
    expect(html).toContain('2026-11-21T10:04:05+07:00');
    expect(html).not.toContain('Chưa ký số');
  });

  it('a sales invoice has no VAT column and no VAT totals', () => {
    const html = render({
      form: '2',
      lines: [{ kind: 1, name: 'Bàn gỗ', quantity: '1', unitPrice: '2500000' }],
    });
    expect(html).toContain('HÓA ĐƠN BÁN HÀNG');
    expect(html).not.toContain('Thuế suất');
    expect(html).not.toContain('Tiền thuế GTGT');
    expect(html).toContain('2.500.000 VND');
  });

  it('names the related invoice and the exchange rate', () => {
    const html = render({
      currency: 'USD',
      exchangeRate: '25400.5',
      related: { relation: 'replacement', form: '1', symbol: 'C26TAA', number: 41, issueDate: '2026-11-01' },
    });
    expect(html).toContain('Thay thế cho hóa đơn');
    expect(html).toContain('ký hiệu C26TAA, số 41, ngày 01/11/2026');
    expect(html).toContain('25.400,5 VND/USD');
  });
});
