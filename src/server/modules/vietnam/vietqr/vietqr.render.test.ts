import { inflateSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { crc16CcittFalse, decodeVietQr, encodeVietQr, MAX_PAYLOAD_LENGTH } from './vietqr.codec.js';
import { renderVietQrPng, renderVietQrSvg, VietQrRenderError } from './vietqr.render.js';
import { loadVietQrVectors } from './vietqr.vectors.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const payload = encodeVietQr({
  bankBin: '970436',
  account: '0011001932418',
  amount: 3_791_700,
  purpose: 'Thanh toán HĐ 42',
});
/** The symbol the payload should produce at error-correction level M (the level changes the matrix). */
const symbol = QRCode.create(payload, { errorCorrectionLevel: 'M' });

interface Png {
  width: number;
  height: number;
  /** Luminance 0–255 of each pixel, row-major. */
  gray: Uint8Array;
}

/**
 * Minimal PNG reader for the tests: walks the chunks (checking each CRC-free length), inflates IDAT and
 * undoes the five row filters, for 8-bit grey/RGB/RGBA. Enough to read the modules back from the image.
 */
function readPng(buf: Buffer): Png {
  expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      const colorType = data[9];
      channels = colorType === 0 ? 1 : colorType === 2 ? 3 : colorType === 6 ? 4 : 0;
      expect(channels).toBeGreaterThan(0);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  expect(ended).toBe(true);
  expect(offset).toBe(buf.length);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  expect(raw.length).toBe(height * (stride + 1));
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x] ?? 0;
      const a = x >= channels ? (pixels[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (pixels[(y - 1) * stride + x - channels] ?? 0) : 0;
      let v: number;
      if (filter === 0) v = cur;
      else if (filter === 1) v = cur + a;
      else if (filter === 2) v = cur + b;
      else if (filter === 3) v = cur + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = cur + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`bad PNG filter ${filter}`);
      pixels[y * stride + x] = v & 0xff;
    }
  }
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) gray[i] = pixels[i * channels] ?? 0;
  return { width, height, gray };
}

describe('renderVietQrPng', () => {
  it('draws exactly the level-M symbol of the payload, 8 px per module with a 4-module quiet zone', async () => {
    const png = readPng(await renderVietQrPng(payload));
    const modules = symbol.modules.size;
    const scale = 8;
    expect(png.width).toBe((modules + 8) * scale);
    expect(png.height).toBe(png.width);
    let mismatches = 0;
    for (let row = -4; row < modules + 4; row++) {
      for (let col = -4; col < modules + 4; col++) {
        const x = (col + 4) * scale + scale / 2;
        const y = (row + 4) * scale + scale / 2;
        const dark = (png.gray[y * png.width + x] ?? 255) < 128;
        const inside = row >= 0 && col >= 0 && row < modules && col < modules;
        const expected = inside ? symbol.modules.get(row, col) === 1 : false;
        if (dark !== expected) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it.each([128, 256, 300, 512, 777, 1000, 2048])('honours size %i (width = height = size)', async (size) => {
    const buf = await renderVietQrPng(payload, { size });
    expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const png = readPng(buf);
    expect(png.width).toBe(size);
    expect(png.height).toBe(png.width);
  });

  it.each([0, 127, 2049, 300.5, Number.NaN])('refuses size %s', async (size) => {
    await expect(renderVietQrPng(payload, { size })).rejects.toThrow(RangeError);
  });

  it('renders every valid public vector at any size from 128 to 2048 px exactly', async () => {
    const vectors = loadVietQrVectors().filter((x) => x.valid);
    for (const [i, v] of vectors.entries()) {
      for (const size of [256, 128 + i * 97]) {
        const png = readPng(await renderVietQrPng(v.payload, { size }));
        expect(png.width, `vector ${v.id} at ${size}px`).toBe(size);
        expect(png.height).toBe(size);
      }
    }
  });

  it('fits the largest payload the decoder accepts (512 characters) into the smallest size', async () => {
    const body = `000201010211${'38570010A00000072701270006970415011300110019324180208QRIBFTTA'}5802VN`;
    // Pad with unreserved fields (90–99, kept raw by the decoder) up to the 512-character limit.
    let p = body;
    for (let tag = 90; MAX_PAYLOAD_LENGTH - 8 - p.length >= 5; tag++) {
      const n = Math.min(99, MAX_PAYLOAD_LENGTH - 8 - p.length - 4);
      p += `${tag}${String(n).padStart(2, '0')}${'Z'.repeat(n)}`;
    }
    p += '6304';
    const full = `${p}${crc16CcittFalse(p)}`;
    expect(full.length).toBeLessThanOrEqual(MAX_PAYLOAD_LENGTH);
    expect(full.length).toBeGreaterThan(MAX_PAYLOAD_LENGTH - 5);
    expect(decodeVietQr(full).ok).toBe(true);
    const png = readPng(await renderVietQrPng(full, { size: 128 }));
    expect(png.width).toBe(128);
  });

  it('refuses an invalid payload instead of printing it', async () => {
    const broken = `${payload.slice(0, -1)}${payload.endsWith('0') ? '1' : '0'}`;
    const error = await renderVietQrPng(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VietQrRenderError);
    expect((error as VietQrRenderError).reason).toBe('crc_mismatch');
    await expect(renderVietQrPng('hello')).rejects.toBeInstanceOf(VietQrRenderError);
  });
});

describe('renderVietQrSvg', () => {
  it('is a well-formed SVG document sized to the symbol plus the quiet zone', async () => {
    const svg = await renderVietQrSvg(payload);
    const errors: string[] = [];
    const doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') errors.push(message);
      },
    }).parseFromString(svg, 'image/svg+xml');
    expect(errors).toEqual([]);
    const root = doc.documentElement;
    expect(root?.localName).toBe('svg');
    expect(root?.namespaceURI).toBe('http://www.w3.org/2000/svg');
    const side = symbol.modules.size + 8;
    expect(root?.getAttribute('viewBox')).toBe(`0 0 ${side} ${side}`);
    const paths = root?.getElementsByTagName('path');
    expect(paths?.length).toBeGreaterThanOrEqual(1);
    // One dark path whose drawing commands are not empty.
    const dark = Array.from({ length: paths?.length ?? 0 }, (_, i) => paths?.item(i)).find(
      (p) => p?.getAttribute('stroke') !== null && p?.getAttribute('stroke') !== '',
    );
    // Replay the path's runs (M/m moves, h strokes at row y+.5) onto a grid: it must be the symbol.
    const d = dark?.getAttribute('d') ?? '';
    const drawn = new Set<string>();
    let x = 0;
    let y = 0;
    for (const [, cmd, a, b] of d.matchAll(/([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?/g)) {
      if (cmd === 'M') [x, y] = [Number(a), Number(b)];
      else if (cmd === 'm') [x, y] = [x + Number(a), y + Number(b)];
      else {
        for (let i = 0; i < Number(a); i++) drawn.add(`${Math.floor(y) - 4},${x + i - 4}`);
        x += Number(a);
      }
    }
    const expected = new Set<string>();
    for (let r = 0; r < symbol.modules.size; r++) {
      for (let c = 0; c < symbol.modules.size; c++)
        if (symbol.modules.get(r, c) === 1) expected.add(`${r},${c}`);
    }
    expect(drawn.size).toBeGreaterThan(100);
    expect([...drawn].sort()).toEqual([...expected].sort());
  });

  it('refuses an invalid payload', async () => {
    await expect(renderVietQrSvg(`${payload}0`)).rejects.toBeInstanceOf(VietQrRenderError);
  });
});
