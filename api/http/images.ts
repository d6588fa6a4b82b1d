import { AppError, ValidationError } from '../errors';

export type ImageType = 'png' | 'jpeg' | 'gif' | 'webp';

/** The image type from the file's first bytes; the name and the declared type are not trusted. */
export function detectImageType(data: Buffer): ImageType | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
  if (data.length >= 6 && ['GIF87a', 'GIF89a'].includes(data.subarray(0, 6).toString('latin1'))) return 'gif';
  if (data.length >= 12 && data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return undefined;
}

/** 413 for an upload past MEDIA_MAX_BYTES, whether multer or the check below notices it. */
export function fileTooLarge(): AppError {
  return new AppError({ status: 413, code: 'payload_too_large', detail: 'The uploaded file is too large.' });
}

/**
 * Checks an uploaded image (PNG, JPEG, GIF or WebP by content; SVG is refused because it can carry script).
 * @throws {ValidationError} with Django's message for anything else
 */
export function assertImage(file: { buffer: Buffer; size: number }, field: string, maxBytes: number): ImageType {
  if (file.size > maxBytes) throw fileTooLarge();
  const type = detectImageType(file.buffer);
  if (!type) {
    throw ValidationError.field(field, 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.');
  }
  return type;
}
