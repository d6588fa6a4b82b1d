import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type request from 'supertest';
import { slugify } from '../../api/modules/catalog/slugs';
import type { TestApi } from './api';
import { makeStaff, registerUser, type RegisteredUser } from './users';

/** The public product object's keys, in the order the old backend emitted them. */
export const PRODUCT_KEYS = [
  'id',
  'title',
  'slug',
  'description',
  'price',
  'category',
  'category_name',
  'image',
  'stock_quantity',
  'created_at',
  'updated_at',
  'average_rating',
  'reviews_count',
];

/** The staff product object: the public one plus `is_active`. */
export const STAFF_PRODUCT_KEYS = [...PRODUCT_KEYS, 'is_active'];

export const CATEGORY_KEYS = ['id', 'name', 'slug', 'description', 'products_count', 'parent'];

export const NO_PRODUCT = { detail: 'No Product matches the given query.', code: 'not_found' };
export const NO_CATEGORY = { detail: 'No Category matches the given query.', code: 'not_found' };
export const INVALID_PAGE = { detail: 'Invalid page.', code: 'not_found' };
export const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.', code: 'not_authenticated' };
export const PERMISSION_DENIED = { detail: 'You do not have permission to perform this action.', code: 'permission_denied' };
export const INVALID_CATEGORY_CHOICE = {
  category: ['Select a valid choice. That choice is not one of the available choices.'],
  code: 'invalid',
};
export const INVALID_IMAGE = {
  image: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'],
  code: 'invalid',
};

/** ISO 8601 in UTC with microseconds, as the old backend printed datetimes. */
export const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export interface CategoryRecord {
  id: number;
  name: string;
  slug: string;
  parent_id: number | null;
  products_count: number;
}

export interface ProductRecord {
  id: number;
  title: string;
  slug: string;
  price: string;
  category_id: number;
  is_active: boolean;
  image: string | null;
}

export interface CategorySeed {
  name: string;
  slug?: string;
  description?: string;
  parent_id?: number | null;
}

export interface ProductSeed {
  title: string;
  category_id: number;
  price?: string;
  slug?: string;
  description?: string;
  stock_quantity?: number;
  is_active?: boolean;
  image?: string | null;
  average_rating?: string;
  reviews_count?: number;
  /** Seconds after a fixed base time; sets created_at and updated_at, so "oldest first" is predictable. */
  age?: number;
}

let sequence = 0;

/** A slug no other seeded row has: the title's slug plus a run-wide counter. */
function seedSlug(title: string): string {
  sequence += 1;
  return `${slugify(title) || 'item'}-s${sequence}`;
}

const BASE_TIME = Date.UTC(2026, 0, 1, 12, 0, 0);

/** Inserts categories straight into the database (no API, no cache invalidation), in one statement. */
export async function insertCategories(api: TestApi, seeds: CategorySeed[]): Promise<CategoryRecord[]> {
  const rows = seeds.map((seed) => ({
    name: seed.name,
    slug: seed.slug ?? seedSlug(seed.name),
    description: seed.description ?? '',
    parent_id: seed.parent_id ?? null,
  }));
  const inserted = await api.db('categories').insert(rows).returning<CategoryRecord[]>(['id', 'name', 'slug', 'parent_id', 'products_count']);
  return inserted.sort((a, b) => a.id - b.id);
}

export async function insertCategory(api: TestApi, seed: CategorySeed): Promise<CategoryRecord> {
  const [row] = await insertCategories(api, [seed]);
  return row as CategoryRecord;
}

/** Inserts products straight into the database in one statement; returns them in the order given. */
export async function insertProducts(api: TestApi, seeds: ProductSeed[]): Promise<ProductRecord[]> {
  if (seeds.length === 0) return [];
  const rows = seeds.map((seed) => {
    const at = new Date(BASE_TIME + (seed.age ?? 0) * 1000).toISOString();
    return {
      title: seed.title,
      slug: seed.slug ?? seedSlug(seed.title),
      description: seed.description ?? '',
      price: seed.price ?? '10.00',
      stock_quantity: seed.stock_quantity ?? 5,
      category_id: seed.category_id,
      is_active: seed.is_active ?? true,
      image: seed.image ?? null,
      average_rating: seed.average_rating ?? '0',
      reviews_count: seed.reviews_count ?? 0,
      created_at: at,
      updated_at: at,
    };
  });
  const inserted = await api.db('products').insert(rows).returning<ProductRecord[]>(['id', 'title', 'slug', 'price', 'category_id', 'is_active', 'image']);
  // INSERT … RETURNING gives rows in VALUES order for a single multi-row insert.
  return inserted;
}

export async function insertProduct(api: TestApi, seed: ProductSeed): Promise<ProductRecord> {
  const [row] = await insertProducts(api, [seed]);
  return row as ProductRecord;
}

/** `count` products in one category, ages 0..count-1 (so the first is the oldest). */
export function manyProducts(categoryId: number, count: number, overrides: (index: number) => Partial<ProductSeed> = () => ({})): ProductSeed[] {
  return Array.from({ length: count }, (_, index) => ({ title: `Item ${String(index).padStart(3, '0')}`, category_id: categoryId, age: index, ...overrides(index) }));
}

/** A registered user promoted to staff (the flag is read from the database on every request). */
export async function registerStaff(api: TestApi): Promise<RegisteredUser> {
  const user = await registerUser(api);
  await makeStaff(api, user.id);
  return user;
}

export function titles(response: request.Response): string[] {
  return (response.body.results as { title: string }[]).map((item) => item.title);
}

export function ids(response: request.Response): number[] {
  return (response.body.results as { id: number }[]).map((item) => item.id);
}

/** One field of every result on a page, e.g. `pluck(response, 'price')`. */
export function pluck(response: request.Response, field: string): unknown[] {
  return (response.body.results as Record<string, unknown>[]).map((item) => item[field]);
}

/** Files stored under MEDIA_ROOT/products (none when the folder does not exist yet). */
export function storedImages(api: TestApi): string[] {
  const folder = join(api.config.media.root, 'products');
  return existsSync(folder) ? readdirSync(folder).sort() : [];
}

/**
 * Counts the SQL statements the app's own pool runs while `action` is in progress (the harness's `api.db`
 * is a separate pool, so test set-up never counts).
 */
export async function countQueries(api: TestApi, action: () => Promise<unknown>): Promise<{ count: number; sql: string[] }> {
  const sql: string[] = [];
  const listener = (data: { sql: string }) => sql.push(data.sql);
  api.runtime.db.on('query', listener);
  try {
    await action();
  } finally {
    api.runtime.db.off('query', listener);
  }
  return { count: sql.length, sql };
}

/** Tiny but well-formed images of each accepted type. */
export const IMAGES = {
  // 1×1 transparent PNG.
  png: Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64'),
  // 1×1 GIF89a.
  gif: Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'),
  // 1×1 baseline JPEG (SOI, JFIF, quantisation table, frame, Huffman table, scan, EOI).
  jpeg: Buffer.from(
    '/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=',
    'base64',
  ),
  // 1×1 lossless WebP.
  webp: Buffer.from('UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==', 'base64'),
} as const;

export type ImageKind = keyof typeof IMAGES;
