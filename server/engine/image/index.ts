export { decodedToRgb8 } from './rgb.ts';
export { latentPreview, SD15_LATENT_RGB_FACTORS, type RgbImage } from './preview.ts';
export { encodePng, insertTextChunks, writeFileAtomic, writePng, type PngText } from './png.ts';
export { a1111Parameters, buildSidecar, sidecarPathFor, writeSidecar, type ImageSidecar, type SidecarInput, type SidecarLora } from './sidecar.ts';
