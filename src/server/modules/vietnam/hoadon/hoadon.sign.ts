import { createPublicKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import type { Element } from '@xmldom/xmldom';
import forge from 'node-forge';
import { SignedXml } from 'xml-crypto';
import { parseXmlDocument } from './hoadon.xml.js';

/**
 * The seller's XML signature on an invoice (XMLDSig, enveloped, as Vietnamese e-invoices carry it):
 *
 * - RSA-SHA256 over SignedInfo, SHA-256 digests;
 * - canonicalization: inclusive C14N 1.0 (REC-xml-c14n-20010315), the one real Vietnamese invoices and
 *   the tax authority's own signatures use; the invoice's elements carry no namespaces, so inclusive and
 *   exclusive would agree on DLHDon anyway;
 * - Reference 1: URI `#<DLHDon Id>` with the enveloped-signature and C14N transforms (the invoice data);
 * - Reference 2: URI `#<id>` of `Signature/Object/SignatureProperties` (Type …#SignatureProperties),
 *   whose `SignatureProperty/SigningTime` states when the seller signed, in Vietnam time with its offset;
 * - KeyInfo/X509Data with X509SubjectName (RFC 4514) and X509Certificate;
 * - the Signature element sits in `HDon/DSCKS/NBan`, outside DLHDon.
 *
 * Hand-written only where no library does it: the RFC 4514 subject text and the checks a verifier must
 * add around xml-crypto (which signature, which references, the signing time, the certificate period).
 */

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
const C14N = 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';
const SIGNATURE_PROPERTIES_TYPE = 'http://www.w3.org/2000/09/xmldsig#SignatureProperties';

/** UID (0.9.2342.19200300.100.1.1) is where Vietnamese CAs put "MST:<tax code>" in a certificate. */
const OID_UID = '0.9.2342.19200300.100.1.1';

export interface SigningCertificate {
  certPem: string;
  /** PKCS#8 PEM of the RSA private key. */
  keyPem: string;
  /** The certificate's DER, base64 (what X509Certificate carries). */
  certBase64: string;
  /** RFC 4514 subject, most specific first: "UID=MST:0100109106,CN=…,O=…,C=VN". */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string;
}

export type SigningCertificateSource =
  | { certPem: string; keyPem: string }
  | { pkcs12: Buffer; passphrase: string };

export class SigningCertificateError extends Error {
  override readonly name = 'SigningCertificateError';
}

// ---------------------------------------------------------------------------------------------------
// Certificates

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.5': 'SERIALNUMBER',
  '0.9.2342.19200300.100.1.25': 'DC',
  [OID_UID]: 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

/** RFC 4514 §2.4: escape the specials, a leading '#' or space, and a trailing space. */
function escapeDnValue(value: string): string {
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\0/g, '\\00');
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** Decodes a forge attribute value to text: UTF8String and BMPString arrive as byte strings. */
function attributeText(attr: { value?: unknown; valueTagClass?: unknown }): string {
  const raw = typeof attr.value === 'string' ? attr.value : String(attr.value ?? '');
  if (attr.valueTagClass === forge.asn1.Type.UTF8) {
    try {
      return forge.util.decodeUtf8(raw);
    } catch {
      return raw;
    }
  }
  if (attr.valueTagClass === forge.asn1.Type.BMPSTRING) {
    let s = '';
    for (let i = 0; i + 1 < raw.length; i += 2)
      s += String.fromCharCode((raw.charCodeAt(i) << 8) | raw.charCodeAt(i + 1));
    return s;
  }
  return raw;
}

/** The subject of a certificate as an RFC 4514 string (reverse RDN order, escaped), NFC. */
export function subjectOf(certPem: string): string {
  const cert = forge.pki.certificateFromPem(certPem);
  return cert.subject.attributes
    .map((a) => `${SHORT_NAMES[a.type ?? ''] ?? a.type}=${escapeDnValue(attributeText(a))}`)
    .reverse()
    .join(',')
    .normalize('NFC');
}

function describe(certPem: string, keyPem: string): SigningCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
  } catch (e) {
    throw new SigningCertificateError('the certificate is not a PEM X.509 certificate', { cause: e });
  }
  let key: ReturnType<typeof createPublicKey>;
  try {
    key = createPublicKey(keyPem);
  } catch (e) {
    throw new SigningCertificateError('the private key is not a PEM private key', { cause: e });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SigningCertificateError(`the key is ${key.asymmetricKeyType}; invoices are signed with RSA`);
  }
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ type: 'spki', format: 'der' });
  if (!spki(key).equals(spki(x509.publicKey))) {
    throw new SigningCertificateError('the private key does not belong to the certificate');
  }
  return {
    certPem: x509.toString(),
    keyPem,
    certBase64: x509.raw.toString('base64'),
    subject: subjectOf(certPem),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    fingerprintSha256: x509.fingerprint256,
  };
}

/** Keys in a PKCS#12 bag, whichever bag type the exporting tool used. */
function keysOf(p12: forge.pkcs12.Pkcs12Pfx): forge.pki.rsa.PrivateKey[] {
  const out: forge.pki.rsa.PrivateKey[] = [];
  for (const bagType of [forge.pki.oids.pkcs8ShroudedKeyBag, forge.pki.oids.keyBag]) {
    if (!bagType) continue;
    for (const bag of p12.getBags({ bagType })[bagType] ?? []) {
      if (bag.key) out.push(bag.key as forge.pki.rsa.PrivateKey);
    }
  }
  return out;
}

/**
 * Loads the seller's signing certificate: PEM certificate + PEM private key, or a PKCS#12 (.p12/.pfx)
 * file as Vietnamese CAs deliver them (node-forge reads it; the certificate whose public key matches the
 * private key is the signer, CA certificates in the same file are ignored). Throws
 * SigningCertificateError with a message for people (wrong passphrase, key not matching, not RSA).
 */
export function loadSigningCertificate(source: SigningCertificateSource): SigningCertificate {
  if ('certPem' in source) return describe(source.certPem, source.keyPem);
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(source.pkcs12.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, source.passphrase);
  } catch (e) {
    const message =
      e instanceof Error && /MAC|password/i.test(e.message) ? 'wrong passphrase' : 'not a PKCS#12 file';
    throw new SigningCertificateError(`cannot open the PKCS#12 file: ${message}`, { cause: e });
  }
  const keys = keysOf(p12);
  const certBag = forge.pki.oids.certBag;
  const certs = certBag
    ? (p12.getBags({ bagType: certBag })[certBag] ?? []).flatMap((b) => (b.cert ? [b.cert] : []))
    : [];
  for (const key of keys) {
    const cert = certs.find((c) => {
      const pub = c.publicKey as forge.pki.rsa.PublicKey;
      return pub.n?.equals(key.n) && pub.e?.equals(key.e);
    });
    if (cert) {
      const keyPem = forge.pki.privateKeyInfoToPem(
        forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(key)),
      );
      return describe(forge.pki.certificateToPem(cert), keyPem);
    }
  }
  throw new SigningCertificateError(
    keys.length === 0
      ? 'the PKCS#12 file holds no private key'
      : 'no certificate in the PKCS#12 file matches its key',
  );
}

export interface SelfSignedSubject {
  commonName: string;
  organization: string;
  /** The seller's MST, written as UID "MST:<mst>" the way Vietnamese CAs do. */
  mst: string;
  /** Start of validity (default: 24 hours ago); the certificate is valid for 10 years from it. */
  now?: Date;
}

/**
 * A self-signed RSA-2048 certificate for demos and tests (10 years), shaped like a Vietnamese CA's:
 * C=VN, O, CN, UID=MST:<mst>, digitalSignature + nonRepudiation. Not trusted by anyone: a production
 * workspace uses the certificate its CA issued. Key generation is Node's (native and fast); node-forge
 * builds and signs the certificate.
 */
export function generateSelfSignedCertificate(subject: SelfSignedSubject): {
  certPem: string;
  keyPem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e);
  // A positive serial: clear the top bit of 16 random bytes.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  // Without an explicit start, valid from a day ago: another node's clock may run a little behind.
  const from = subject.now ?? new Date(Date.now() - 24 * 3600_000);
  cert.validity.notBefore = from;
  const to = new Date(from);
  to.setUTCFullYear(to.getUTCFullYear() + 10);
  cert.validity.notAfter = to;
  // forge encodes UTF8String values itself: give it the text.
  const utf8 = (v: string) => v.normalize('NFC');
  const attrs = [
    { shortName: 'C', value: 'VN' },
    { shortName: 'O', value: utf8(subject.organization), valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'CN', value: utf8(subject.commonName), valueTagClass: forge.asn1.Type.UTF8 },
    { type: OID_UID, value: utf8(`MST:${subject.mst}`), valueTagClass: forge.asn1.Type.UTF8 },
  ] as forge.pki.CertificateField[];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

// ---------------------------------------------------------------------------------------------------
// Signing

const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Vietnam time with its offset (UTC+7, no daylight saving): 2026-11-21T14:05:09+07:00. */
export function vietnamDateTime(at: Date): string {
  const local = new Date(at.getTime() + 7 * 3600_000);
  return `${local.toISOString().slice(0, 19)}+07:00`;
}

const byLocalName = (parent: Element, name: string, ns: string | null = null): Element[] => {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === n.ELEMENT_NODE) {
      const e = n as Element;
      if (e.localName === name && (e.namespaceURI ?? null) === ns) out.push(e);
    }
  }
  return out;
};

const descendants = (root: Element, predicate: (e: Element) => boolean): Element[] => {
  const out: Element[] = [];
  const walk = (e: Element) => {
    if (predicate(e)) out.push(e);
    for (let n = e.firstChild; n; n = n.nextSibling) if (n.nodeType === n.ELEMENT_NODE) walk(n as Element);
  };
  walk(root);
  return out;
};

interface InvoiceSkeleton {
  root: Element;
  dataId: string;
  sellerSlot: Element;
}

function skeleton(xml: string): InvoiceSkeleton {
  const root = parseXmlDocument(xml);
  if (root.localName !== 'HDon') throw new Error(`root is ${root.tagName}, not HDon`);
  const data = byLocalName(root, 'DLHDon');
  const dataId = data.length === 1 ? data[0]?.getAttribute('Id') : null;
  if (!dataId) throw new Error('the invoice needs exactly one DLHDon with an Id');
  const sellerSlot = byLocalName(root, 'DSCKS').flatMap((d) => byLocalName(d, 'NBan'))[0];
  if (!sellerSlot) throw new Error('the invoice has no DSCKS/NBan slot for the seller signature');
  return { root, dataId, sellerSlot };
}

/**
 * Signs an unsigned invoice XML as the seller: returns the XML with the Signature in DSCKS/NBan (see
 * the module comment). `signingTime` is written as Vietnam time. Throws when the XML is not an invoice
 * or already carries a seller signature, and when the signing time is outside the certificate's
 * validity (a signature the tax authority would reject).
 */
export function signInvoiceXml(xml: string, cert: SigningCertificate, signingTime: Date): string {
  const { dataId, sellerSlot } = skeleton(xml);
  if (sellerSlot.firstChild) throw new Error('the invoice already carries a seller signature');
  if (signingTime < cert.notBefore || signingTime > cert.notAfter) {
    throw new SigningCertificateError(
      `the certificate is valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, not at ${signingTime.toISOString()}`,
    );
  }
  const signatureId = `${dataId}-seller-signature`;
  const propertiesId = `${dataId}-seller-signing-time`;
  const keyInfo =
    `<X509Data><X509SubjectName>${escapeXml(cert.subject)}</X509SubjectName>` +
    `<X509Certificate>${cert.certBase64}</X509Certificate></X509Data>`;
  const signer = new SignedXml({
    privateKey: cert.keyPem,
    publicCert: cert.certPem,
    signatureAlgorithm: RSA_SHA256,
    canonicalizationAlgorithm: C14N,
    getKeyInfoContent: () => keyInfo,
    objects: [
      {
        content:
          `<SignatureProperties Id="${propertiesId}"><SignatureProperty Target="#${signatureId}">` +
          `<SigningTime>${vietnamDateTime(signingTime)}</SigningTime></SignatureProperty></SignatureProperties>`,
      },
    ],
  });
  signer.addReference({
    xpath: `/*[local-name()='HDon']/*[local-name()='DLHDon'][@Id='${dataId}']`,
    transforms: [ENVELOPED, C14N],
    digestAlgorithm: SHA256,
  });
  signer.addReference({
    xpath: `//*[local-name()='SignatureProperties'][@Id='${propertiesId}']`,
    transforms: [C14N],
    digestAlgorithm: SHA256,
    type: SIGNATURE_PROPERTIES_TYPE,
  });
  signer.computeSignature(xml, {
    attrs: { Id: signatureId },
    location: {
      reference: "/*[local-name()='HDon']/*[local-name()='DSCKS']/*[local-name()='NBan']",
      action: 'append',
    },
  });
  const signed = signer.getSignedXml();
  return signed.startsWith('<?xml') ? signed : `<?xml version="1.0" encoding="UTF-8"?>${signed}`;
}

// ---------------------------------------------------------------------------------------------------
// Verifying

export interface SignatureVerification {
  valid: boolean;
  /** Every reason the signature does not hold; empty when valid. */
  errors: string[];
  /** Subject (RFC 4514) of the embedded certificate; null when there is none. */
  subject: string | null;
  /** SigningTime as written (Vietnam time with offset); null when missing. */
  signingTime: string | null;
  fingerprintSha256: string | null;
}

const text = (e: Element | undefined): string => (e?.textContent ?? '').trim();

/**
 * Verifies the seller's signature of an invoice with xml-crypto, for the run-time self-check after
 * signing and for invoices read back. Beyond the cryptography it checks what a wrapped or half-signed
 * document would get past a bare verifier: exactly one Signature, in DSCKS/NBan; RSA-SHA256; a
 * reference to the one DLHDon by its Id (unique in the document) and one to this signature's
 * SignatureProperties holding SigningTime; the X509SubjectName naming the embedded certificate; the
 * signing time inside the certificate's validity. It does not build a chain to a trusted CA (that is
 * the tax authority's job for invoices it receives), so a self-signed demo certificate verifies.
 */
export function verifyInvoiceSignature(xml: string): SignatureVerification {
  const result: SignatureVerification = {
    valid: false,
    errors: [],
    subject: null,
    signingTime: null,
    fingerprintSha256: null,
  };
  const fail = (message: string): SignatureVerification => {
    result.errors.push(message);
    result.valid = false;
    return result;
  };

  let parts: InvoiceSkeleton;
  try {
    parts = skeleton(xml);
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  const { root, dataId, sellerSlot } = parts;
  const signatures = descendants(root, (e) => e.localName === 'Signature' && e.namespaceURI === DSIG_NS);
  const signature = byLocalName(sellerSlot, 'Signature', DSIG_NS)[0];
  if (!signature) return fail('the invoice is not signed (no Signature in DSCKS/NBan)');
  if (signatures.length !== 1) return fail(`expected one Signature, found ${signatures.length}`);

  const idCount = descendants(root, (e) => e.getAttribute('Id') === dataId).length;
  if (idCount !== 1) fail(`the Id ${dataId} appears on ${idCount} elements`);

  const signedInfo = byLocalName(signature, 'SignedInfo', DSIG_NS)[0];
  if (!signedInfo) return fail('the Signature has no SignedInfo');
  const method = byLocalName(signedInfo, 'SignatureMethod', DSIG_NS)[0]?.getAttribute('Algorithm');
  if (method !== RSA_SHA256) fail(`signature method ${method ?? '(none)'} is not RSA-SHA256`);
  const refs = byLocalName(signedInfo, 'Reference', DSIG_NS).map((r) => r.getAttribute('URI') ?? '');
  if (!refs.includes(`#${dataId}`)) fail(`no reference to the invoice data #${dataId}`);

  // The signing time: a SignatureProperties of this signature, referenced by SignedInfo.
  const props = descendants(
    signature,
    (e) => e.localName === 'SignatureProperties' && e.namespaceURI === DSIG_NS,
  );
  const signedProps = props.find((p) => refs.includes(`#${p.getAttribute('Id') ?? ''}`));
  const signingTimeEl = signedProps
    ? descendants(signedProps, (e) => e.localName === 'SigningTime')[0]
    : undefined;
  if (!signingTimeEl) fail('no signed SignatureProperties with a SigningTime');
  else result.signingTime = text(signingTimeEl);

  // The certificate: the one embedded in KeyInfo, which must match the subject name written beside it.
  const x509Data = byLocalName(signature, 'KeyInfo', DSIG_NS).flatMap((k) =>
    byLocalName(k, 'X509Data', DSIG_NS),
  );
  const certB64 = text(x509Data.flatMap((d) => byLocalName(d, 'X509Certificate', DSIG_NS))[0]).replace(
    /\s+/g,
    '',
  );
  if (!certB64) return fail('no X509Certificate in KeyInfo');
  const certPem = `-----BEGIN CERTIFICATE-----\n${certB64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----\n`;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
    result.subject = subjectOf(certPem);
    result.fingerprintSha256 = x509.fingerprint256;
  } catch {
    return fail('the embedded X509Certificate cannot be read');
  }
  const subjectName = text(x509Data.flatMap((d) => byLocalName(d, 'X509SubjectName', DSIG_NS))[0]);
  if (subjectName && subjectName.normalize('NFC') !== result.subject) {
    fail(`X509SubjectName "${subjectName}" does not name the embedded certificate (${result.subject})`);
  }
  if (result.signingTime) {
    const at = new Date(result.signingTime);
    if (Number.isNaN(at.getTime())) fail(`SigningTime ${result.signingTime} is not a date-time`);
    else if (at < new Date(x509.validFrom) || at > new Date(x509.validTo)) {
      fail(
        `signed at ${result.signingTime}, outside the certificate's validity (${x509.validFrom} – ${x509.validTo})`,
      );
    }
  }

  // The cryptography: xml-crypto checks each reference digest and the signature value.
  const verifier = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  try {
    verifier.loadSignature(signature.toString());
    if (!verifier.checkSignature(xml)) {
      const details = verifier
        .getReferences()
        .flatMap((r) =>
          r.validationError ? [`${r.uri || '(document)'}: ${r.validationError.message}`] : [],
        );
      fail(
        `a signed reference does not match the document${details.length ? ` (${details.join('; ')})` : ''}`,
      );
    }
  } catch (e) {
    fail(`signature check failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  result.valid = result.errors.length === 0;
  return result;
}
