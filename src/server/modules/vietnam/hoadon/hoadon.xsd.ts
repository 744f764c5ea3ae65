import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';

/**
 * Validation of invoice XML against our own versioned XSD (xsd/hoadon-v1.xsd) with libxml2 compiled to
 * WebAssembly (xmllint-wasm): the same validator as the xmllint binary, without needing one installed.
 * Each call runs xmllint in a worker thread, so a batch validates many documents in one start-up.
 */

/** The schema version stored beside every issued invoice (crm_vn_invoices.xsd_version). */
export const HOADON_XSD_VERSION = 'hoadon-v1';
const XSD_FILE = `${HOADON_XSD_VERSION}.xsd`;

/** The XMLDSig subset the main schema imports (the signature in DSCKS/NBan). */
const DSIG_XSD_FILE = `${HOADON_XSD_VERSION}-xmldsig.xsd`;

const readXsd = (file: string): string => readFileSync(new URL(`./xsd/${file}`, import.meta.url), 'utf8');
export const HOADON_XSD: string = readXsd(XSD_FILE);
const HOADON_DSIG_XSD: string = readXsd(DSIG_XSD_FILE);

export interface XsdResult {
  valid: boolean;
  /** libxml2's messages, with the line number ("line 1: Element 'SHDon': … is not a valid value …"). */
  errors: string[];
}

/** Validates one invoice XML (unsigned, or signed in DSCKS/NBan) against the current XSD. */
export async function validateInvoiceXml(xml: string): Promise<XsdResult> {
  const [result] = await validateInvoiceXmlBatch([xml]);
  if (!result) throw new Error('xmllint returned no result');
  return result;
}

/** Validates many documents in one xmllint run; results are in input order. */
export async function validateInvoiceXmlBatch(xmls: readonly string[]): Promise<XsdResult[]> {
  if (xmls.length === 0) return [];
  const names = xmls.map((_, i) => `invoice-${i}.xml`);
  const largest = Math.max(...xmls.map((x) => Buffer.byteLength(x)));
  const out = await validateXML({
    xml: xmls.map((contents, i) => ({ fileName: names[i] ?? `invoice-${i}.xml`, contents })),
    schema: [{ fileName: XSD_FILE, contents: HOADON_XSD }],
    // xmllint-wasm reads no files: the imported schema is handed over under the name the import uses.
    preload: [{ fileName: DSIG_XSD_FILE, contents: HOADON_DSIG_XSD }],
    // The default 32 MiB is plenty for one invoice; a 1000-line batch gets room to breathe.
    maxMemoryPages: Math.min(65536, 512 + Math.ceil((largest * xmls.length * 8) / 65536)),
  });
  const errors = new Map<string, string[]>(names.map((n) => [n, []]));
  const failed = new Set<string>();
  const schemaErrors: string[] = [];
  let last: string[] | undefined;
  for (const e of out.errors) {
    const located = e.loc ? errors.get(e.loc.fileName) : undefined;
    if (e.loc && located) {
      located.push(`line ${e.loc.lineNumber}: ${e.message.trim()}`);
      failed.add(e.loc.fileName);
      last = located;
    } else if (e.loc) {
      // A message about the schema itself: nothing validated.
      schemaErrors.push(e.rawMessage.trim());
    } else if (!/ fails to validate$/.test(e.message) && e.message.trim() !== '' && last) {
      // libxml2 echoes the offending source line and a caret under the message it belongs to.
      last.push(e.message);
    }
  }
  // The "<file> fails to validate" summary is the verdict per file (the last one may be missing from
  // the parsed errors, so read the raw output).
  for (const line of out.rawOutput.split('\n')) {
    const m = /^(\S+) fails to validate$/.exec(line.trim());
    if (m?.[1] && errors.has(m[1])) failed.add(m[1]);
  }
  return names.map((n) => {
    const list = [...schemaErrors, ...(errors.get(n) ?? [])];
    const valid = schemaErrors.length === 0 && !failed.has(n);
    return { valid, errors: valid ? [] : list.length > 0 ? list : ['does not validate against the schema'] };
  });
}
