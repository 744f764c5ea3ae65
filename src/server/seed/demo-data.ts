/**
 * The demo workspace's story: a Vietnamese B2B software vendor selling to local and international
 * companies. Contacts carry Vietnamese names in their usual order and real-format phone numbers (mobile
 * and landline, a few typed the old 11-digit way), deals sit in every stage in VND and USD, and the
 * timeline covers the last few months.
 */

export interface DemoContact {
  last: string;
  first: string;
  title: string;
  role: 'decision_maker' | 'influencer' | 'technical' | 'finance' | 'user' | 'gatekeeper';
  phone?: string;
  email?: string;
  zalo?: string;
  linkedin?: string;
  primary?: boolean;
}

export interface DemoDeal {
  name: string;
  /** Stage code of the default pipeline; closed stages close the deal. */
  stage: 'qualifying' | 'discovery' | 'proposal' | 'negotiation' | 'closed_won' | 'closed_lost' | 'cancelled';
  amount: number;
  currency: 'VND' | 'USD';
  /** Days from today (negative: in the past). */
  closeInDays: number;
  lostReason?: string;
  byRep?: boolean;
  restricted?: boolean;
}

export interface DemoAccountStory {
  /** Index into demo.ts COMPANIES. */
  company: number;
  contacts: DemoContact[];
  deals: DemoDeal[];
}

export const STORIES: DemoAccountStory[] = [
  {
    company: 0,
    contacts: [
      {
        last: 'Phạm',
        first: 'Minh Tuấn',
        title: 'Giám đốc',
        role: 'decision_maker',
        phone: '0903 123 456',
        email: 'tuan.pham@anhduong.vn',
        primary: true,
      },
      {
        last: 'Lê',
        first: 'Thị Hồng',
        title: 'Kế toán trưởng',
        role: 'finance',
        phone: '028 3822 4567',
        email: 'hong.le@anhduong.vn',
      },
      {
        last: 'Võ',
        first: 'Quốc Bảo',
        title: 'Trưởng phòng IT',
        role: 'technical',
        phone: '01686 123 456',
        zalo: '0386123456',
      },
    ],
    deals: [
      {
        name: 'Gia hạn license CRM 2027',
        stage: 'negotiation',
        amount: 480_000_000,
        currency: 'VND',
        closeInDays: 12,
      },
      {
        name: 'Triển khai CRM giai đoạn 1',
        stage: 'closed_won',
        amount: 1_250_000_000,
        currency: 'VND',
        closeInDays: -40,
      },
    ],
  },
  {
    company: 1,
    contacts: [
      {
        last: 'Nguyễn',
        first: 'Văn Hùng',
        title: 'Tổng Giám đốc',
        role: 'decision_maker',
        phone: '+84 912 345 678',
        email: 'hung.nv@daiphat.com.vn',
        primary: true,
      },
      {
        last: 'Đặng',
        first: 'Thu Trang',
        title: 'Trưởng phòng Mua hàng',
        role: 'influencer',
        phone: '0978.456.123',
        email: 'trang.dt@daiphat.com.vn',
      },
    ],
    deals: [
      {
        name: 'Phần mềm quản lý chuỗi cửa hàng',
        stage: 'proposal',
        amount: 860_000_000,
        currency: 'VND',
        closeInDays: 30,
      },
      {
        name: 'Tích hợp POS',
        stage: 'qualifying',
        amount: 150_000_000,
        currency: 'VND',
        closeInDays: 75,
        byRep: true,
      },
    ],
  },
  {
    company: 2,
    contacts: [
      {
        last: 'Trần',
        first: 'Gia Huy',
        title: 'CEO',
        role: 'decision_maker',
        phone: '0935 222 333',
        email: 'huy@nguyengia-logistics.vn',
        primary: true,
        linkedin: 'linkedin.com/in/tran-gia-huy',
      },
      {
        last: 'Bùi',
        first: 'Ngọc Ánh',
        title: 'Trợ lý Giám đốc',
        role: 'gatekeeper',
        phone: '0283 9101 112',
        email: 'anh.bui@nguyengia-logistics.vn',
      },
    ],
    deals: [
      {
        name: 'Quản lý vận đơn & CRM khách hàng',
        stage: 'discovery',
        amount: 620_000_000,
        currency: 'VND',
        closeInDays: 45,
        byRep: true,
      },
      {
        name: 'Gói dịch vụ năm 2026',
        stage: 'closed_lost',
        amount: 300_000_000,
        currency: 'VND',
        closeInDays: -20,
        lostReason: 'Chọn đối thủ giá thấp hơn',
      },
    ],
  },
  {
    company: 3,
    contacts: [
      {
        last: 'Hồ',
        first: 'Thị Mã',
        title: 'Chủ hộ kinh doanh',
        role: 'decision_maker',
        phone: '0909 777 888',
        zalo: '0909777888',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'Gói Starter cho cửa hàng',
        stage: 'qualifying',
        amount: 12_000_000,
        currency: 'VND',
        closeInDays: 20,
        byRep: true,
      },
    ],
  },
  {
    company: 4,
    contacts: [
      {
        last: 'Tanaka',
        first: 'Hiroshi',
        title: 'General Director',
        role: 'decision_maker',
        phone: '+84 274 3777 999',
        email: 'h.tanaka@saigonprecision.com',
        primary: true,
      },
      {
        last: 'Huỳnh',
        first: 'Thanh Tâm',
        title: 'HR & Admin Manager',
        role: 'user',
        phone: '0918 555 010',
        email: 'tam.huynh@saigonprecision.com',
      },
    ],
    deals: [
      {
        name: 'Global CRM rollout – Vietnam plant',
        stage: 'negotiation',
        amount: 4_500_000,
        currency: 'USD',
        closeInDays: 18,
        restricted: true,
      },
      {
        name: 'Support contract FY2026',
        stage: 'closed_won',
        amount: 1_800_000,
        currency: 'USD',
        closeInDays: -75,
      },
    ],
  },
  {
    company: 5,
    contacts: [
      {
        last: 'Phan',
        first: 'Đức Thành',
        title: 'Phó Tổng Giám đốc',
        role: 'decision_maker',
        phone: '0983 246 810',
        email: 'thanh.pd@thanhcongpharma.vn',
        primary: true,
      },
      {
        last: 'Ngô',
        first: 'Bảo Châu',
        title: 'Giám đốc Tài chính',
        role: 'finance',
        phone: '0904 135 792',
        email: 'chau.nb@thanhcongpharma.vn',
      },
    ],
    deals: [
      {
        name: 'Chương trình đối tác phân phối',
        stage: 'proposal',
        amount: 2_100_000_000,
        currency: 'VND',
        closeInDays: 40,
      },
    ],
  },
  {
    company: 6,
    contacts: [
      {
        last: 'Vũ',
        first: 'Đức Minh',
        title: 'Giám đốc Dự án',
        role: 'decision_maker',
        phone: '0243 9393 939',
        email: 'minh.vd@ducminh.vn',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'CRM cho đội kinh doanh dự án',
        stage: 'cancelled',
        amount: 540_000_000,
        currency: 'VND',
        closeInDays: -10,
      },
    ],
  },
  {
    company: 7,
    contacts: [
      {
        last: 'Đỗ',
        first: 'Thị Lan Anh',
        title: 'Hiệu trưởng',
        role: 'decision_maker',
        phone: '0967 808 909',
        email: 'lananh@huongduong.edu.vn',
        primary: true,
      },
      {
        last: 'Lý',
        first: 'Minh Khoa',
        title: 'Phụ trách CNTT',
        role: 'technical',
        phone: '0357 121 314',
        email: 'khoa.ly@huongduong.edu.vn',
      },
    ],
    deals: [
      {
        name: 'Quản lý tuyển sinh',
        stage: 'discovery',
        amount: 380_000_000,
        currency: 'VND',
        closeInDays: 60,
        byRep: true,
      },
    ],
  },
  {
    company: 8,
    contacts: [
      {
        last: 'Dương',
        first: 'Văn Tài',
        title: 'Giám đốc Kinh doanh',
        role: 'decision_maker',
        phone: '0292 3838 383',
        email: 'tai.dv@mekongxanh.vn',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'Xuất khẩu: CRM khách hàng quốc tế',
        stage: 'negotiation',
        amount: 65_000_00,
        currency: 'USD',
        closeInDays: -5,
      },
      { name: 'Gói đào tạo', stage: 'closed_won', amount: 90_000_000, currency: 'VND', closeInDays: -3 },
    ],
  },
  {
    company: 9,
    contacts: [
      {
        last: 'Mai',
        first: 'Quỳnh Như',
        title: 'Giám đốc Marketing',
        role: 'influencer',
        phone: '0236 3555 666',
        email: 'nhu.mq@biendanang.vn',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'CRM đặt tour & chăm sóc khách',
        stage: 'proposal',
        amount: 720_000_000,
        currency: 'VND',
        closeInDays: 25,
      },
    ],
  },
  {
    company: 11,
    contacts: [
      {
        last: 'Trương',
        first: 'Hải Đăng',
        title: 'CEO',
        role: 'decision_maker',
        phone: '0939 686 868',
        email: 'dang@phuongnam-solar.vn',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'Quản lý dự án điện mặt trời áp mái',
        stage: 'qualifying',
        amount: 250_000_000,
        currency: 'VND',
        closeInDays: 90,
      },
    ],
  },
  {
    company: 12,
    contacts: [
      {
        last: 'Lim',
        first: 'Wei Ming',
        title: 'Regional Sales Director',
        role: 'decision_maker',
        phone: '+65 6123 4567',
        email: 'weiming.lim@harbourtech.sg',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'APAC partner licences',
        stage: 'discovery',
        amount: 2_400_000,
        currency: 'USD',
        closeInDays: 55,
      },
    ],
  },
  {
    company: 13,
    contacts: [
      {
        last: 'Nguyen',
        first: 'Kevin',
        title: 'VP Operations',
        role: 'decision_maker',
        phone: '+1 415 555 0142',
        email: 'kevin.nguyen@pacificbridge.com',
        primary: true,
      },
    ],
    deals: [
      {
        name: 'Vietnam sourcing office CRM',
        stage: 'closed_won',
        amount: 3_200_000,
        currency: 'USD',
        closeInDays: -28,
      },
    ],
  },
];

/** Timeline entries per deal, relative to today (days ago). */
export const TIMELINE: Array<{
  kind: 'call' | 'email' | 'meeting' | 'note' | 'site_visit';
  subject: string;
  body: string;
  daysAgo: number;
}> = [
  {
    kind: 'call',
    subject: 'Gọi điện tìm hiểu nhu cầu',
    body: 'Khách quan tâm **quản lý pipeline** và báo cáo doanh thu.',
    daysAgo: 85,
  },
  {
    kind: 'email',
    subject: 'Gửi tài liệu giới thiệu',
    body: 'Đã gửi brochure và bảng giá tham khảo.',
    daysAgo: 70,
  },
  {
    kind: 'meeting',
    subject: 'Họp demo sản phẩm',
    body: '- Demo kanban\n- Demo VietQR\n- Hỏi về hóa đơn điện tử',
    daysAgo: 48,
  },
  {
    kind: 'site_visit',
    subject: 'Khảo sát tại văn phòng khách hàng',
    body: 'Khảo sát quy trình bán hàng hiện tại của 12 nhân viên kinh doanh.',
    daysAgo: 30,
  },
  {
    kind: 'note',
    subject: 'Ghi chú sau cuộc họp',
    body: 'Khách cần phê duyệt của **Giám đốc tài chính** trước khi ký.',
    daysAgo: 9,
  },
];
