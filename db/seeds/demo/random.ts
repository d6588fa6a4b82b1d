import type { Randomizer } from '@faker-js/faker';

/**
 * sfc32 behind Faker's Randomizer interface. Every product has its own stream (so its first k reviews are the
 * same whatever the total), and seeding Faker's Mersenne Twister costs about 40 µs: 4 s per 100,000 products.
 * This one seeds in well under a microsecond. Values carry 53 random bits, like Faker's own. Faker calls the
 * methods unbound, hence arrow functions.
 */
export class SmallFastRandomizer implements Randomizer {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  seed = (seed: number | number[]): void => {
    let state = 0x9e3779b9;
    for (const word of Array.isArray(seed) ? seed : [seed]) state = mix32((state ^ Math.trunc(word)) + 0x6d2b79f5);
    this.a = mix32(state + 0x243f6a88);
    this.b = mix32(state + 0x85a308d3);
    this.c = mix32(state + 0x13198a2e);
    this.d = mix32(state + 0x03707344);
    for (let round = 0; round < 12; round += 1) this.next32();
  };

  next = (): number => (this.next32() * 2 ** 21 + (this.next32() >>> 11)) / 2 ** 53;

  private next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

/** The finaliser of MurmurHash3: a well-spread 32-bit value from any 32-bit input. */
function mix32(value: number): number {
  let x = value | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * Weighted sampling without a product once it is full (every customer reviewed it): a Fenwick tree over the
 * products' integer popularity weights, O(log P) per draw and per removal, exact (integers, no drift).
 */
export class WeightedPicker {
  private readonly tree: Float64Array;
  private readonly top: number;
  total = 0;

  constructor(private readonly weights: number[]) {
    const size = weights.length;
    this.tree = new Float64Array(size + 1);
    for (let index = 0; index < size; index += 1) {
      const position = index + 1;
      this.tree[position] = (this.tree[position] ?? 0) + (weights[index] ?? 0);
      const parent = position + (position & -position);
      if (parent <= size) this.tree[parent] = (this.tree[parent] ?? 0) + (this.tree[position] ?? 0);
      this.total += weights[index] ?? 0;
    }
    this.top = size === 0 ? 0 : 2 ** Math.floor(Math.log2(size));
  }

  /** The index whose cumulative weight range holds `target` (0 ≤ target < total). */
  find(target: number): number {
    let position = 0;
    let rest = target;
    for (let step = this.top; step > 0; step >>= 1) {
      const next = position + step;
      const weight = this.tree[next];
      if (next < this.tree.length && weight !== undefined && weight <= rest) {
        position = next;
        rest -= weight;
      }
    }
    return position;
  }

  remove(index: number): void {
    const weight = this.weights[index] ?? 0;
    this.weights[index] = 0;
    this.total -= weight;
    for (let position = index + 1; position < this.tree.length; position += position & -position) {
      this.tree[position] = (this.tree[position] ?? 0) - weight;
    }
  }
}
