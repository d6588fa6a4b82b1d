import type { Faker } from '@faker-js/faker';

type Phrase = string | ((faker: Faker) => string);

const duration = (faker: Faker) =>
  faker.helpers.arrayElement([`${faker.number.int({ min: 2, max: 11 })} weeks`, `${faker.number.int({ min: 2, max: 14 })} months`, 'a year']);
const relative = (faker: Faker) => faker.helpers.arrayElement(['my sister', 'my brother', 'my mum', 'my dad', 'my partner', 'a friend', 'my son', 'my daughter', 'a colleague']);
const MINOR_ISSUES = [
  'delivery took longer than promised',
  'the instructions could be clearer',
  'it runs a little small',
  'the colour is slightly different from the photos',
  'the box arrived dented',
  'it is a bit pricey',
  'it is heavier than expected',
];
const MAJOR_ISSUES = ['it arrived broken', 'parts were missing', 'it is nothing like the photos', 'it was the wrong size', 'it stopped working within days'];

const POSITIVE: Phrase[] = [
  'Exactly as described.',
  'Great value for the price.',
  'Works perfectly.',
  'Really happy with this purchase.',
  'Excellent quality, feels solid.',
  'Would buy again.',
  'Arrived quickly and well packed.',
  'Does exactly what I needed.',
  'Better than I expected.',
  'Highly recommend.',
  'Five minutes to set up and no problems since.',
  (faker) => `Been using it for ${duration(faker)} now and it still looks new.`,
  (faker) => `Bought it as a gift for ${relative(faker)}, who loves it.`,
  (faker) => `The ${faker.helpers.arrayElement(['finish', 'build quality', 'packaging', 'fit', 'colour', 'size'])} is spot on.`,
  (faker) => `Delivered in ${faker.number.int({ min: 1, max: 4 })} days.`,
];
const MIXED: Phrase[] = [
  "It's okay for the price.",
  'Does the job, nothing special.',
  'Average quality.',
  'Some good points, some bad.',
  'Not bad, not great.',
  'Fine for occasional use.',
  (faker) => `Decent, but ${faker.helpers.arrayElement(MINOR_ISSUES)}.`,
  (faker) => `After ${duration(faker)} it shows some wear.`,
  (faker) => `Took ${faker.number.int({ min: 5, max: 15 })} days to arrive.`,
];
const NEGATIVE: Phrase[] = [
  'Not as described.',
  'Poor quality, feels cheap.',
  'Would not buy again.',
  'Very disappointed.',
  'Customer service was slow to answer.',
  'Save your money.',
  (faker) => `Returned it: ${faker.helpers.arrayElement(MAJOR_ISSUES)}.`,
  (faker) => `Stopped working after ${duration(faker)}.`,
];

/** One to three sentences in the tone of the rating; about one review in five is a rating without text. */
export function reviewComment(faker: Faker, rating: number): string {
  if (faker.datatype.boolean(0.2)) return '';
  const bank = rating >= 4 ? POSITIVE : rating === 3 ? MIXED : NEGATIVE;
  const sentences = faker.helpers.arrayElements(bank, { min: 1, max: 3 }).map((phrase) => (typeof phrase === 'string' ? phrase : phrase(faker)));
  if (rating === 4 && faker.datatype.boolean(0.3)) sentences.push(`One star off because ${faker.helpers.arrayElement(MINOR_ISSUES)}.`);
  return sentences.join(' ');
}
