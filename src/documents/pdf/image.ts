import { deflateSync, inflateSync } from 'node:zlib';
import type { PDFDocument, PDFRef } from 'pdf-lib';

/** The dictionary literal `PDFContext.stream` takes (pdf-lib does not export its type). */
type StreamDict = NonNullable<Parameters<PDFDocument['context']['stream']>[1]>;

import { sm3 } from '../../crypto/sm3.ts';

/**
 * PNG pictures as PDF image XObjects, without pdf-lib's `embedPng` round trip (decode every
 * pixel to RGBA in JavaScript, split, deflate again with pako: ≈ 100 ms for a document's QR
 * and seal pictures).
 *
 * - A PNG without transparency (greyscale or RGB, 1–8 bits, not interlaced) goes in as it is:
 *   its IDAT data is a zlib stream whose rows carry PNG filter bytes, which PDF reads with
 *   `/FlateDecode` and `/Predictor 15` (ISO 32000-1 §7.4.4.4). Only its length is checked.
 * - A PNG with an alpha channel (8 bits, not interlaced) is decoded once with native zlib and
 *   split into the colour image and an `/SMask`; the result is kept per picture (by SM3), so the
 *   seal picture, the same in every document, is converted once per process.
 * - Anything else (palette, 16 bits, interlaced, tRNS) is left to pdf-lib's `embedPng`.
 *
 * The pixels a reader shows are the PNG's, as with `embedPng`. Deterministic: the same PNG
 * gives the same streams (zlib at a fixed level).
 */

interface StreamSpec {
  readonly bytes: Uint8Array;
  readonly dict: StreamDict;
}

/** The image stream and, for a picture with transparency, its soft mask. */
export interface PngImageStreams {
  readonly image: StreamSpec;
  readonly smask?: StreamSpec;
}

const PNG_SIGNATURE = Buffer.from('89504e470d0a1a0a', 'hex');
const MAX_CACHED = 16;
const cache = new Map<string, PngImageStreams | null>();

interface PngParts {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  transparency: boolean;
  data: Buffer;
}

/** IHDR fields and the concatenated IDAT data; undefined for anything that is not a well-formed PNG. */
function readPng(png: Buffer): PngParts | undefined {
  if (png.length < 8 + 25 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  let at = 8;
  let header: Omit<PngParts, 'data' | 'transparency'> | undefined;
  let transparency = false;
  const idat: Buffer[] = [];
  while (at + 12 <= png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (body.length !== length) return undefined;
    if (type === 'IHDR') {
      if (length !== 13) return undefined;
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'tRNS') transparency = true;
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header || idat.length === 0 || header.width === 0 || header.height === 0) return undefined;
  return { ...header, transparency, data: Buffer.concat(idat) };
}

const paeth = (a: number, b: number, c: number) => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Undoes the PNG row filters of 8-bit samples, `bpp` bytes a pixel; undefined if malformed. */
function unfilter(data: Buffer, width: number, height: number, bpp: number): Buffer | undefined {
  const stride = width * bpp;
  if (data.length !== (stride + 1) * height) return undefined;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = data[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const raw = data[src + x]!;
      const a = x >= bpp ? out[row + x - bpp]! : 0;
      const b = y > 0 ? out[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? out[prev + x - bpp]! : 0;
      let value: number;
      if (filter === 0) value = raw;
      else if (filter === 1) value = raw + a;
      else if (filter === 2) value = raw + b;
      else if (filter === 3) value = raw + ((a + b) >> 1);
      else if (filter === 4) value = raw + paeth(a, b, c);
      else return undefined;
      out[row + x] = value & 0xff;
    }
  }
  return out;
}

/** The streams of a PNG without transparency: its own IDAT data, nothing decoded. */
function direct(parts: PngParts): PngImageStreams | null {
  const { width, height, bitDepth, colorType } = parts;
  if (colorType === 2 ? bitDepth !== 8 : ![1, 2, 4, 8].includes(bitDepth)) return null;
  const colors = colorType === 2 ? 3 : 1;
  // Check the data before passing it on unread (a native inflate, a fraction of a millisecond):
  // a broken picture goes to pdf-lib, which refuses it, rather than into the document.
  const rowBytes = 1 + Math.ceil((width * colors * bitDepth) / 8);
  try {
    if (inflateSync(parts.data).length !== rowBytes * height) return null;
  } catch {
    return null;
  }
  return {
    image: {
      bytes: parts.data,
      dict: {
        Type: 'XObject',
        Subtype: 'Image',
        Width: width,
        Height: height,
        ColorSpace: colors === 3 ? 'DeviceRGB' : 'DeviceGray',
        BitsPerComponent: bitDepth,
        Filter: 'FlateDecode',
        DecodeParms: { Predictor: 15, Colors: colors, BitsPerComponent: bitDepth, Columns: width },
      },
    },
  };
}

/** The streams of an 8-bit PNG with an alpha channel: decoded and split into colour and soft mask. */
function decoded(parts: PngParts): PngImageStreams | null {
  const { width, height, bitDepth, colorType } = parts;
  const image = { Type: 'XObject', Subtype: 'Image', Width: width, Height: height };
  if ((colorType !== 4 && colorType !== 6) || bitDepth !== 8) return null;
  const colors = colorType === 6 ? 3 : 1;
  let raw: Buffer;
  try {
    raw = inflateSync(parts.data);
  } catch {
    return null; // let pdf-lib report it
  }
  const pixels = unfilter(raw, width, height, colors + 1);
  if (!pixels) return null;
  const count = width * height;
  const color = Buffer.alloc(count * colors);
  const alpha = Buffer.alloc(count);
  let opaque = true;
  for (let i = 0, p = 0, q = 0; i < count; i++) {
    for (let k = 0; k < colors; k++) color[q++] = pixels[p++]!;
    const a = pixels[p++]!;
    alpha[i] = a;
    if (a !== 255) opaque = false;
  }
  const colorSpace = colors === 3 ? 'DeviceRGB' : 'DeviceGray';
  return {
    image: {
      bytes: deflateSync(color, { level: 6 }),
      dict: { ...image, ColorSpace: colorSpace, BitsPerComponent: 8, Filter: 'FlateDecode' },
    },
    ...(opaque
      ? {}
      : {
          smask: {
            bytes: deflateSync(alpha, { level: 6 }),
            dict: {
              ...image,
              ColorSpace: 'DeviceGray',
              BitsPerComponent: 8,
              Decode: [0, 1],
              Filter: 'FlateDecode',
            },
          },
        }),
  };
}

/**
 * The streams for `png`, or undefined when pdf-lib's `embedPng` must handle it. Pictures that
 * need decoding are kept (least recently used out first); the rest cost next to nothing.
 */
export function pngImageStreams(png: Uint8Array): PngImageStreams | undefined {
  const bytes = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  const parts = readPng(bytes);
  if (parts === undefined) return undefined;
  if (parts.interlace !== 0 || parts.transparency) return undefined;
  if (parts.colorType === 0 || parts.colorType === 2) return direct(parts) ?? undefined;
  const key = sm3(bytes).toString('hex');
  let streams = cache.get(key);
  if (streams === undefined) {
    streams = decoded(parts);
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  } else cache.delete(key);
  cache.set(key, streams);
  return streams ?? undefined;
}

/** Embeds `png` as an image XObject of `doc` and returns its reference. */
export async function embedPngPicture(doc: PDFDocument, png: Uint8Array): Promise<PDFRef> {
  const streams = pngImageStreams(png);
  if (!streams) return (await doc.embedPng(png)).ref;
  const { context } = doc;
  const smask = streams.smask && context.register(context.stream(streams.smask.bytes, streams.smask.dict));
  return context.register(
    context.stream(streams.image.bytes, { ...streams.image.dict, ...(smask && { SMask: smask }) }),
  );
}
