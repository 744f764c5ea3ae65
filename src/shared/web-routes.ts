/**
 * The web app's top-level paths. The server answers GET on each (and below it) with the app's
 * index.html, so a reload or a shared link lands on the right page; every other unknown path stays a
 * 404 problem document.
 */
export const WEB_SECTIONS = [
  'login',
  'signup',
  'invite',
  'dashboard',
  'leads',
  'pipeline',
  'deals',
  'accounts',
  'contacts',
  'activities',
  'settings',
] as const;
