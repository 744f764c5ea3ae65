/** Field limits shared by the API schemas and the web forms, so both reject the same input. */
export const LIMITS = {
  name: 200,
  shortText: 200,
  longText: 10_000,
  email: 254,
  url: 2048,
  domainsPerAccount: 20,
  addressesPerRecord: 10,
  customFieldsBytes: 16_384,
  pageSizeDefault: 25,
  pageSizeMax: 100,
  searchQuery: 100,
  password: { min: 10, max: 256 },
  slug: 48,
} as const;
