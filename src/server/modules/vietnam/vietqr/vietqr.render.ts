import QRCode from 'qrcode';
import { decodeVietQr } from './vietqr.codec.js';

/**
 * VietQR images through the `qrcode` package: error correction M (what bank apps print; survives a
 * logo-free smudge without growing the symbol much) and the 4-module quiet zone the QR spec requires.
 */

const ERROR_CORRECTION = 'M';
const MARGIN = 4;
/** Pixels per module when no size is asked for: crisp integer scaling, about 300–500 px for VietQR. */
const DEFAULT_SCALE = 8;
/** Fits any payload the decoder accepts (≤ 512 chars: version 18 at level M, 89 + 8 modules). */
export const MIN_PNG_SIZE = 128;
export const MAX_PNG_SIZE = 2048;

/** The payload is not something we are willing to draw: only strictly valid payloads are rendered. */
export class VietQrRenderError extends Error {
  override readonly name = 'VietQrRenderError';
  readonly code = 'vietqr_invalid';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function assertRenderable(payload: string): void {
  const r = decodeVietQr(payload);
  if (!r.ok)
    throw new VietQrRenderError(r.reason, `refusing to render an invalid VietQR payload: ${r.message}`);
}

export interface RenderPngOptions {
  /** Width = height in pixels, 128–2048 (always exact); default: 8 px per module. */
  size?: number;
}

/**
 * PNG of a VietQR payload. The payload is decoded first: an invalid one (bad CRC, broken template…)
 * throws VietQrRenderError rather than becoming a printable code; a bad `size` throws RangeError.
 */
export async function renderVietQrPng(payload: string, options: RenderPngOptions = {}): Promise<Buffer> {
  const { size } = options;
  if (size !== undefined && (!Number.isInteger(size) || size < MIN_PNG_SIZE || size > MAX_PNG_SIZE)) {
    throw new RangeError(
      `size must be an integer from ${MIN_PNG_SIZE} to ${MAX_PNG_SIZE} pixels, got ${size}`,
    );
  }
  assertRenderable(payload);
  return QRCode.toBuffer(payload, {
    type: 'png',
    errorCorrectionLevel: ERROR_CORRECTION,
    margin: MARGIN,
    // qrcode computes floor(modules × (width / modules)), which floating point can land one pixel short
    // (256 → 255); a thousandth of a pixel more keeps the image exactly `size` wide without moving modules.
    ...(size === undefined ? { scale: DEFAULT_SCALE } : { width: size + 0.001 }),
  });
}

/** SVG document (scalable, one path) of a VietQR payload; same validation as {@link renderVietQrPng}. */
export async function renderVietQrSvg(payload: string): Promise<string> {
  assertRenderable(payload);
  return QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: ERROR_CORRECTION, margin: MARGIN });
}
