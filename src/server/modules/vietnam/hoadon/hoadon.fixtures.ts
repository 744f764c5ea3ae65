import type { InvoiceDocumentInput } from './hoadon.model.js';

/**
 * A realistic VAT invoice (form 1) for tests and demos: real public MSTs (Viettel as seller, FPT as
 * buyer, Vinamilk as the e-invoice provider), mixed rates, a discount, a promotion and a note.
 */
export function sampleInvoice(overrides: Partial<InvoiceDocumentInput> = {}): InvoiceDocumentInput {
  return {
    id: 'INV-0f8fad5b-d9cb-469f-a165-70867728950e',
    form: '1',
    symbol: 'C26TAA',
    number: 42,
    issueDate: '2026-11-21',
    currency: 'VND',
    exchangeRate: '1',
    paymentMethod: 'TM/CK',
    providerMst: '0300588569',
    seller: {
      name: 'Tập đoàn Công nghiệp - Viễn thông Quân đội',
      mst: '0100109106',
      address: 'Lô D26, Khu đô thị mới Cầu Giấy, Phường Yên Hòa, Thành phố Hà Nội',
      phone: '024 6255 6789',
      email: 'hoadon@viettel.com.vn',
      bankAccount: '0011000000001',
      bankName: 'Vietcombank - Chi nhánh Hà Nội',
    },
    buyer: {
      name: 'Công ty Cổ phần FPT',
      mst: '0101248141',
      address: 'Số 10 Phố Phạm Văn Bạch, Phường Cầu Giấy, Thành phố Hà Nội',
      buyerName: 'Nguyễn Thị Lan',
      email: 'ketoan@fpt.com',
    },
    lines: [
      {
        kind: 1,
        name: 'Phần mềm CRM - gói doanh nghiệp (12 tháng)',
        unit: 'Gói',
        quantity: '2',
        unitPrice: '1500000',
        vatRate: '8%',
      },
      {
        kind: 1,
        name: 'Dịch vụ triển khai & đào tạo <tại chỗ>',
        unit: 'Giờ',
        quantity: '12.5',
        unitPrice: '350000',
        vatRate: '10%',
      },
      {
        kind: 1,
        name: 'Sách hướng dẫn sử dụng',
        unit: 'Cuốn',
        quantity: '3',
        unitPrice: '120000',
        vatRate: '5%',
      },
      {
        kind: 1,
        name: 'Phí chuyển giao công nghệ',
        unit: 'Lần',
        quantity: '1',
        unitPrice: '2000000',
        vatRate: 'KCT',
      },
      { kind: 2, name: 'Tặng kèm áo thun', unit: 'Cái', quantity: '2', unitPrice: '0', vatRate: '8%' },
      {
        kind: 3,
        name: 'Chiết khấu thương mại 5% gói phần mềm',
        quantity: '1',
        unitPrice: '150000',
        vatRate: '8%',
      },
      { kind: 4, name: 'Hợp đồng số 15/2026/HĐ-FPT ngày 01/11/2026' },
    ],
    ...overrides,
  };
}
