/** The bundled sample site, used by `spiderd demo`, the end-to-end tests and the benchmark. */
export { startSampleSite, type SampleSite, type SampleSiteOptions } from './server.js';
export { pageTitle, pageDepth, metaNofollowPage, ROBOTS_TXT } from './generate.js';
