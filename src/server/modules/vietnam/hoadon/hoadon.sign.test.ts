import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as xmldom from '@xmldom/xmldom';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import * as xmldsigjs from 'xmldsigjs';
import xpath from 'xpath';
import { sampleInvoice } from './hoadon.fixtures.js';
import {
  generateSelfSignedCertificate,
  loadSigningCertificate,
  type SigningCertificate,
  SigningCertificateError,
  signInvoiceXml,
  subjectOf,
  verifyInvoiceSignature,
  vietnamDateTime,
} from './hoadon.sign.js';
import { buildInvoiceXml, parseInvoiceXml } from './hoadon.xml.js';
import { validateInvoiceXmlBatch } from './hoadon.xsd.js';

/**
 * Signatures are checked twice: by our verifier (xml-crypto) and independently by xmldsigjs, another
 * implementation of XMLDSig and C14N running on Node's WebCrypto. A bug shared by signer and verifier
 * of one library cannot pass the second.
 */

const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

// xmldsigjs needs a DOM and XPath registered in Node, in the xml-core instance it imports itself.
beforeAll(async () => {
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(require.resolve('xmldsigjs/package.json'));
  const xmlCore = (await import(
    pathToFileURL(path.join(pkgDir, 'node_modules/xml-core/build/esm/index.js')).href
  )) as {
    setNodeDependencies: (deps: Record<string, unknown>) => void;
  };
  xmlCore.setNodeDependencies({
    XMLSerializer: xmldom.XMLSerializer,
    DOMParser: xmldom.DOMParser,
    DOMImplementation: xmldom.DOMImplementation,
    xpath,
  });
  xmldsigjs.Application.setEngine('NodeJS', globalThis.crypto);
});

/** xmldsigjs's verdict, with the public key given explicitly (not trusting KeyInfo) when `certPem` is. */
async function independentlyVerify(xml: string, certPem?: string): Promise<boolean> {
  const doc = xmldsigjs.Parse(xml);
  const signatures = doc.getElementsByTagNameNS(DSIG_NS, 'Signature');
  if (signatures.length !== 1) return false;
  const signed = new xmldsigjs.SignedXml(doc);
  signed.LoadXml(signatures[0] as Element);
  try {
    if (!certPem) return await signed.Verify();
    const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    const key = await globalThis.crypto.subtle.importKey(
      'spki',
      spki,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true, // xmldsigjs re-imports the key for the signature's algorithm
      ['verify'],
    );
    return await signed.Verify(key);
  } catch (e) {
    // A digest mismatch is a verdict; anything else (a broken test setup) must not pass as "invalid".
    // (xml-core's XmlError is not an Error subclass: read its message as data.)
    const message = String((e as { message?: unknown } | null)?.message ?? e);
    if (/Invalid digest|signature/i.test(message)) return false;
    throw e;
  }
}

const SIGNED_AT = new Date('2026-11-21T03:04:05Z');
let cert: SigningCertificate;
let unsigned: string;
let signed: string;

beforeAll(() => {
  cert = loadSigningCertificate(
    generateSelfSignedCertificate({
      commonName: 'Tập đoàn Công nghiệp - Viễn thông Quân đội, "Viettel"',
      organization: 'Viettel',
      mst: '0100109106',
      now: new Date('2026-01-01T00:00:00Z'),
    }),
  );
  unsigned = buildInvoiceXml(sampleInvoice());
  signed = signInvoiceXml(unsigned, cert, SIGNED_AT);
});

describe('the demo certificate', () => {
  it('is RSA-2048, valid 10 years, subject shaped like a Vietnamese CA certificate', () => {
    const x = new X509Certificate(cert.certPem);
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.notBefore.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(cert.notAfter.toISOString()).toBe('2036-01-01T00:00:00.000Z');
    expect(cert.subject).toBe(
      'UID=MST:0100109106,CN=Tập đoàn Công nghiệp - Viễn thông Quân đội\\, \\"Viettel\\",O=Viettel,C=VN',
    );
    expect(x.subject).toContain('CN=Tập đoàn Công nghiệp');
    expect(x.keyUsage ?? []).toEqual(expect.any(Array));
    expect(x.ca).toBe(false);
  });

  it('RFC 4514 escaping of subject values', () => {
    const c = generateSelfSignedCertificate({
      commonName: '#a+b;c<d>=e\\ ',
      organization: ' lead',
      mst: '1',
    });
    expect(subjectOf(c.certPem)).toBe('UID=MST:1,CN=\\#a\\+b\\;c\\<d\\>\\=e\\\\\\ ,O=\\ lead,C=VN');
  });
});

describe('signing an invoice', () => {
  it('puts an enveloped RSA-SHA256 signature with the signing time in DSCKS/NBan', () => {
    const tail = signed.slice(signed.indexOf('<DSCKS>'));
    expect(
      tail.startsWith(
        `<DSCKS><NBan><Signature Id="INV-0f8fad5b-d9cb-469f-a165-70867728950e-seller-signature" xmlns="${DSIG_NS}">`,
      ),
    ).toBe(true);
    expect(signed).toContain(
      '<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
    );
    expect(signed).toContain(
      '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>',
    );
    expect(signed).toContain(
      '<Reference URI="#INV-0f8fad5b-d9cb-469f-a165-70867728950e"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>',
    );
    expect(signed).toContain('Type="http://www.w3.org/2000/09/xmldsig#SignatureProperties"');
    expect(signed).toContain('<SigningTime>2026-11-21T10:04:05+07:00</SigningTime>');
    expect(signed).toContain(`<X509SubjectName>${cert.subject}</X509SubjectName>`);
    expect(signed).toContain(`<X509Certificate>${cert.certBase64}</X509Certificate>`);
    // The invoice data itself is untouched by signing.
    expect(signed.slice(0, signed.indexOf('<DSCKS>'))).toBe(unsigned.slice(0, unsigned.indexOf('<DSCKS>')));
    expect(parseInvoiceXml(signed).signed).toBe(true);
    expect(parseInvoiceXml(signed).document).toEqual(parseInvoiceXml(unsigned).document);
  });

  it('verifies with our verifier and independently with xmldsigjs', async () => {
    expect(verifyInvoiceSignature(signed)).toEqual({
      valid: true,
      errors: [],
      subject: cert.subject,
      signingTime: '2026-11-21T10:04:05+07:00',
      fingerprintSha256: cert.fingerprintSha256,
    });
    expect(await independentlyVerify(signed, cert.certPem)).toBe(true);
    expect(await independentlyVerify(signed)).toBe(true);
  });

  it('validates against our XSD signed and unsigned', async () => {
    const results = await validateInvoiceXmlBatch([unsigned, signed]);
    expect(results).toEqual([
      { valid: true, errors: [] },
      { valid: true, errors: [] },
    ]);
  });

  it('the XSD pins the shape of the signature we write', async () => {
    const broken: Record<string, [string, RegExp]> = {
      sha1: [signed.replace('xmldsig-more#rsa-sha256', 'xmldsig#rsa-sha1'), /SignatureMethod/],
      'signing time without offset': [
        signed.replace('2026-11-21T10:04:05+07:00', '2026-11-21T10:04:05'),
        /SigningTime/,
      ],
      'no KeyInfo': [signed.replace(/<KeyInfo>.*<\/KeyInfo>/, ''), /KeyInfo|Object/],
      'one reference': [
        signed.replace(/<Reference URI="#[^"]*-seller-signing-time".*?<\/Reference>/, ''),
        /Reference|SignedInfo/,
      ],
      'foreign element': [signed.replace('<Object>', '<Foo/><Object>'), /Foo/],
      'other dsig element in the slot': [
        unsigned.replace(
          '<NBan/>',
          '<NBan><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></NBan>',
        ),
        /KeyInfo/,
      ],
      'two signatures': [
        signed.replace(
          '</Signature>',
          `</Signature>${signed.slice(signed.indexOf('<Signature '), signed.lastIndexOf('</NBan>'))}`,
        ),
        /Signature/,
      ],
    };
    const names = Object.keys(broken);
    const results = await validateInvoiceXmlBatch(names.map((n) => broken[n]?.[0] ?? ''));
    results.forEach((r, i) => {
      const name = names[i] ?? '';
      expect(broken[name]?.[0], name).not.toBe(signed);
      expect(r.valid, name).toBe(false);
      expect(r.errors.join('\n'), name).toMatch(broken[name]?.[1] ?? /x/);
    });
  });

  it('any change to the invoice or the signing time breaks the signature, for both verifiers', async () => {
    const tampered = {
      amount: signed.replace('<TgTTTBSo>10268500</TgTTTBSo>', '<TgTTTBSo>10268501</TgTTTBSo>'),
      buyer: signed.replace('<Ten>Công ty Cổ phần FPT</Ten>', '<Ten>Công ty Cổ phần FPT Telecom</Ten>'),
      lineQuantity: signed.replace('<SLuong>12.5</SLuong>', '<SLuong>1.25</SLuong>'),
      signingTime: signed.replace(
        '<SigningTime>2026-11-21T10:04:05+07:00',
        '<SigningTime>2026-11-01T10:04:05+07:00',
      ),
      signatureValue: signed.replace(
        /<SignatureValue>(.)/,
        (_, c: string) => `<SignatureValue>${c === 'A' ? 'B' : 'A'}`,
      ),
    };
    for (const [what, xml] of Object.entries(tampered)) {
      expect(xml, what).not.toBe(signed);
      const ours = verifyInvoiceSignature(xml);
      expect(ours.valid, what).toBe(false);
      expect(ours.errors.length, what).toBeGreaterThan(0);
      expect(await independentlyVerify(xml, cert.certPem), what).toBe(false);
    }
  });

  it('a signature by another key does not verify against the expected certificate', async () => {
    const other = loadSigningCertificate(
      generateSelfSignedCertificate({
        commonName: 'Mạo danh',
        organization: 'X',
        mst: '0100109106',
        now: new Date('2026-01-01T00:00:00Z'),
      }),
    );
    const forged = signInvoiceXml(unsigned, other, SIGNED_AT);
    // Self-consistent (its own embedded certificate) …
    expect(verifyInvoiceSignature(forged).valid).toBe(true);
    expect(verifyInvoiceSignature(forged).subject).toContain('CN=Mạo danh');
    // … but not the seller's key.
    expect(await independentlyVerify(forged, cert.certPem)).toBe(false);
  });

  it('refuses wrapped and misplaced signatures', async () => {
    const id = 'INV-0f8fad5b-d9cb-469f-a165-70867728950e';
    // A second element with the signed Id: which one did the signer mean?
    const duplicateId = signed.replace('<DSCKS>', `<DLHDon Id="${id}"/><DSCKS>`);
    expect(verifyInvoiceSignature(duplicateId).errors.join()).toMatch(/DLHDon|appears on 2/);
    // The signature moved out of the seller's slot.
    const sig = signed.slice(signed.indexOf('<Signature '), signed.indexOf('</NBan></DSCKS>'));
    const moved = signed
      .replace(sig, '')
      .replace('<DSCKS><NBan></NBan>', `<DSCKS><NBan/><NMua>${sig}</NMua>`);
    expect(verifyInvoiceSignature(moved)).toMatchObject({
      valid: false,
      errors: [expect.stringMatching(/not signed/)],
    });
    // (The cryptography alone still holds there: placement is a check of ours.)
    expect(await independentlyVerify(moved, cert.certPem)).toBe(true);
    // Not signed at all.
    expect(verifyInvoiceSignature(unsigned)).toMatchObject({
      valid: false,
      errors: [expect.stringMatching(/not signed/)],
    });
    expect(verifyInvoiceSignature('<nope/>').valid).toBe(false);
    // The subject name beside the certificate lies.
    const lying = signed.replace(/<X509SubjectName>[^<]*/, '<X509SubjectName>CN=Someone else');
    expect(verifyInvoiceSignature(lying).errors.join()).toMatch(/does not name the embedded certificate/);
  });

  it('refuses to sign twice, outside the certificate period, or what is not an invoice', () => {
    expect(() => signInvoiceXml(signed, cert, SIGNED_AT)).toThrow(/already/);
    expect(() => signInvoiceXml(unsigned, cert, new Date('2025-12-31T23:59:59Z'))).toThrow(
      SigningCertificateError,
    );
    expect(() => signInvoiceXml(unsigned, cert, new Date('2036-01-02T00:00:00Z'))).toThrow(
      SigningCertificateError,
    );
    expect(() => signInvoiceXml('<HDon><DLHDon Id="a"/></HDon>', cert, SIGNED_AT)).toThrow(/DSCKS/);
    expect(() => signInvoiceXml('<X/>', cert, SIGNED_AT)).toThrow(/HDon/);
  });

  it('writes Vietnam time with its offset', () => {
    expect(vietnamDateTime(new Date('2026-12-31T17:00:00Z'))).toBe('2027-01-01T00:00:00+07:00');
  });
});

describe('loading certificates', () => {
  it('PKCS#12 round trip (made with node-forge, as CAs deliver them)', async () => {
    const made = generateSelfSignedCertificate({
      commonName: 'Công ty TNHH Hòa Bình',
      organization: 'Hòa Bình',
      mst: '0101248141',
    });
    const key = forge.pki.privateKeyFromPem(made.keyPem);
    const caCert = forge.pki.certificateFromPem(
      generateSelfSignedCertificate({ commonName: 'Some CA', organization: 'CA', mst: '0300588569' }).certPem,
    );
    const p12 = forge.pkcs12.toPkcs12Asn1(
      key,
      [forge.pki.certificateFromPem(made.certPem), caCert],
      'mật khẩu',
      {
        algorithm: '3des',
        friendlyName: 'hoa-binh',
      },
    );
    const der = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
    const loaded = loadSigningCertificate({ pkcs12: der, passphrase: 'mật khẩu' });
    expect(loaded.fingerprintSha256).toBe(new X509Certificate(made.certPem).fingerprint256);
    expect(loaded.subject).toBe('UID=MST:0101248141,CN=Công ty TNHH Hòa Bình,O=Hòa Bình,C=VN');
    const xml = signInvoiceXml(unsigned, loaded, new Date());
    expect(verifyInvoiceSignature(xml).valid).toBe(true);
    expect(await independentlyVerify(xml, made.certPem)).toBe(true);

    expect(() => loadSigningCertificate({ pkcs12: der, passphrase: 'sai' })).toThrow(/wrong passphrase/);
    expect(() => loadSigningCertificate({ pkcs12: Buffer.from('not a p12'), passphrase: '' })).toThrow(
      SigningCertificateError,
    );
    const certOnly = forge.pkcs12.toPkcs12Asn1(null, [caCert], 'x', { algorithm: '3des' });
    expect(() =>
      loadSigningCertificate({
        pkcs12: Buffer.from(forge.asn1.toDer(certOnly).getBytes(), 'binary'),
        passphrase: 'x',
      }),
    ).toThrow(/no private key/);
  });

  it('refuses a key that does not belong to the certificate, and non-RSA keys', () => {
    const a = generateSelfSignedCertificate({ commonName: 'A', organization: 'A', mst: '1' });
    const b = generateSelfSignedCertificate({ commonName: 'B', organization: 'B', mst: '2' });
    expect(() => loadSigningCertificate({ certPem: a.certPem, keyPem: b.keyPem })).toThrow(/does not belong/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(() => loadSigningCertificate({ certPem: a.certPem, keyPem: ec })).toThrow(/RSA/);
    expect(() => loadSigningCertificate({ certPem: 'garbage', keyPem: a.keyPem })).toThrow(/not a PEM X.509/);
    expect(() => loadSigningCertificate({ certPem: a.certPem, keyPem: 'garbage' })).toThrow(
      /not a PEM private key/,
    );
  });
});
