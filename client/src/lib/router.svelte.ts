export type View = 'generate' | 'sets' | 'jobs' | 'gallery' | 'config';

export const VIEWS: { id: View; label: string }[] = [
  { id: 'generate', label: 'Generate' },
  { id: 'sets', label: 'Sets' },
  { id: 'jobs', label: 'Jobs' },
  { id: 'gallery', label: 'Gallery' },
  { id: 'config', label: 'Config' },
];

/** `#/gallery/<batchId>` → { view: 'gallery', param: '<batchId>' }. */
function parse(hash: string): { view: View; param: string | null } {
  const [, view = '', ...rest] = hash.replace(/^#/, '').split('/');
  const known = VIEWS.find((v) => v.id === view);
  const param = rest.length ? decodeURIComponent(rest.join('/')) : null;
  return known ? { view: known.id, param } : { view: 'generate', param: null };
}

export const route = $state(parse(location.hash));

window.addEventListener('hashchange', () => {
  Object.assign(route, parse(location.hash));
});

export function navigate(view: View, param?: string | null): void {
  location.hash = param ? `#/${view}/${encodeURIComponent(param)}` : `#/${view}`;
}
