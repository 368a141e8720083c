import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Font subsetting with HarfBuzz's subsetter (the `harfbuzzjs` WebAssembly build, the same one
 * `subset-font` drives), keeping each source face loaded between calls.
 *
 * `subset-font` copies the whole font into the WebAssembly heap and builds a new HarfBuzz face
 * on every call, so HarfBuzz re-reads (sanitizes) the 20 MB CJK face's tables each time:
 * ≈ 40 ms per subset. A face made once and kept (`SubsetFace`) answers a certificate page's
 * glyph set in a few milliseconds, with byte-identical output (same library, same flags:
 * test/unit/documents/fast-paths.test.ts compares the two).
 *
 * Faces are never freed: the document renderer keeps two (Regular and Bold), each in its own
 * WebAssembly instance, for the life of the process.
 */

/** The exports of harfbuzz-subset.wasm that are used here (pointers are heap offsets). */
interface HarfBuzzSubset {
  readonly memory: { readonly buffer: ArrayBuffer };
  _initialize(): void;
  malloc(size: number): number;
  free(ptr: number): void;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_blob_get_data(blob: number, length: number): number;
  hb_blob_get_length(blob: number): number;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_face_reference_blob(face: number): number;
  hb_set_add(set: number, value: number): void;
  hb_set_clear(set: number): void;
  hb_set_invert(set: number): void;
  hb_subset_input_create_or_fail(): number;
  hb_subset_input_destroy(input: number): void;
  hb_subset_input_unicode_set(input: number): number;
  hb_subset_input_set(input: number, which: number): number;
  hb_subset_input_get_flags(input: number): number;
  hb_subset_input_set_flags(input: number, flags: number): void;
  hb_subset_or_fail(face: number, input: number): number;
}

// hb.h / hb-subset.h constants.
const HB_MEMORY_MODE_READONLY = 1;
const HB_SUBSET_SETS_LAYOUT_FEATURE_TAG = 6;
const HB_SUBSET_FLAGS_NO_HINTING = 0x1;
const HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE = 0x200;

/** The part of the WebAssembly global used here (the project's type libraries do not declare it). */
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: unknown };
    };
  }
).WebAssembly;

let compiled: object | undefined;

/**
 * A new instance of the subsetter. Its heap is fixed (65 MB, no growth), so every face gets an
 * instance of its own: a CJK face takes ~20 MB of it, and subsetting needs room beside it.
 */
function harfbuzz(): HarfBuzzSubset {
  if (!compiled) {
    const wasmPath = createRequire(import.meta.url).resolve('harfbuzzjs/dist/harfbuzz-subset.wasm');
    // Synchronous compile: once per process, ≈ 0.7 MB of WebAssembly.
    compiled = new wasm.Module(readFileSync(wasmPath));
  }
  const hb = new wasm.Instance(compiled, {}).exports as unknown as HarfBuzzSubset;
  hb._initialize();
  return hb;
}

export interface SubsetOptions {
  /** Drop hinting instructions (a printed certificate does not need them). */
  readonly noHinting?: boolean;
  /** Keep only the glyphs of the characters, not those reachable through layout features. */
  readonly noLayoutClosure?: boolean;
}

/** A font loaded once into HarfBuzz, subset many times. */
export class SubsetFace {
  readonly #hb: HarfBuzzSubset;
  readonly #face: number;

  /** `font`: one sfnt (OpenType/TrueType), not a collection. */
  constructor(font: Uint8Array) {
    const hb = harfbuzz();
    const data = hb.malloc(font.byteLength);
    if (data === 0) throw new Error(`HarfBuzz: no room for a ${font.byteLength}-byte font`);
    new Uint8Array(hb.memory.buffer).set(font, data);
    // Read-only: HarfBuzz never writes to the font; the heap copy lives as long as the face.
    const blob = hb.hb_blob_create(data, font.byteLength, HB_MEMORY_MODE_READONLY, 0, 0);
    this.#face = hb.hb_face_create(blob, 0);
    hb.hb_blob_destroy(blob);
    this.#hb = hb;
  }

  /**
   * The face cut down to the glyphs of `text`'s characters (plus .notdef), all layout features
   * kept (as `subset-font` does by default), as sfnt bytes.
   */
  subset(text: string, options: SubsetOptions = {}): Buffer {
    const hb = this.#hb;
    const input = hb.hb_subset_input_create_or_fail();
    if (input === 0) throw new Error('HarfBuzz: hb_subset_input_create_or_fail failed');
    let result = 0;
    try {
      const features = hb.hb_subset_input_set(input, HB_SUBSET_SETS_LAYOUT_FEATURE_TAG);
      hb.hb_set_clear(features);
      hb.hb_set_invert(features);
      let flags = hb.hb_subset_input_get_flags(input);
      if (options.noHinting) flags |= HB_SUBSET_FLAGS_NO_HINTING;
      if (options.noLayoutClosure) flags |= HB_SUBSET_FLAGS_NO_LAYOUT_CLOSURE;
      hb.hb_subset_input_set_flags(input, flags);
      const unicodes = hb.hb_subset_input_unicode_set(input);
      for (const ch of text) hb.hb_set_add(unicodes, ch.codePointAt(0)!);
      result = hb.hb_subset_or_fail(this.#face, input);
    } finally {
      hb.hb_subset_input_destroy(input);
    }
    if (result === 0) throw new Error('HarfBuzz: hb_subset_or_fail failed (corrupt font?)');
    const blob = hb.hb_face_reference_blob(result);
    try {
      const length = hb.hb_blob_get_length(blob);
      if (length === 0) throw new Error('HarfBuzz: empty subset (corrupt font?)');
      const at = hb.hb_blob_get_data(blob, 0);
      // Copy out: the heap may move (grow) on the next call.
      return Buffer.from(new Uint8Array(hb.memory.buffer, at, length));
    } finally {
      hb.hb_blob_destroy(blob);
      hb.hb_face_destroy(result);
    }
  }
}
