import type { Faker } from '@faker-js/faker';

/** Most prices fall between `min` and `typical`; a minority (premium items) between `typical` and `max`. */
export interface PriceBand {
  min: number;
  typical: number;
  max: number;
}

export interface LeafCategory {
  name: string;
  description: string;
  price: PriceBand;
  /** What the products of this category are called ("Laptop", "Rain Jacket"). */
  nouns: readonly string[];
  adjectives: readonly string[];
  /** Selling points of this category's products; a description names two or three (with the department's). */
  features: readonly string[];
  /** Titles that do not follow "Brand Adjective Noun Variant" (books). */
  title?: (faker: Faker) => string;
  /** Replaces the department's variant for this category. */
  variant?: (faker: Faker) => string;
}

export interface Department {
  name: string;
  description: string;
  /** After-sale promises that read well after "Comes with" ("a two-year warranty", "free returns"). */
  services: readonly string[];
  /** Who it is for ("commuters", "home cooks"). */
  audiences: readonly string[];
  /** Appended to the title as is: a model number, colour, size or format that tells similar products apart. */
  variant: (faker: Faker) => string;
  subcategories: readonly LeafCategory[];
}

const band = (min: number, typical: number, max: number): PriceBand => ({ min, typical, max });

function leaf(
  name: string,
  description: string,
  price: PriceBand,
  nouns: readonly string[],
  adjectives: readonly string[],
  features: readonly string[],
  extra: Pick<LeafCategory, 'title' | 'variant'> = {},
): LeafCategory {
  return { name, description, price, nouns, adjectives, features, ...extra };
}
const code = (faker: Faker): string =>
  `${faker.string.alpha({ length: { min: 1, max: 2 }, casing: 'upper' })}${faker.number.int({ min: 1, max: 99 }) * 10}`;
const model = (faker: Faker): string => ` ${code(faker)}`;
const colour = (faker: Faker): string => faker.color.human().replace(/^./, (first) => first.toUpperCase());

function bookTitle(formats: readonly string[]): (faker: Faker) => string {
  return (faker) => `${faker.book.title()} by ${faker.book.author()} (${faker.helpers.arrayElement(formats)})`;
}

function guideTitle(openings: readonly string[], topics: readonly string[]): (faker: Faker) => string {
  return (faker) =>
    `${faker.helpers.arrayElement(openings)} ${faker.helpers.arrayElement(topics)} by ${faker.person.fullName()} (${faker.helpers.arrayElement(['Paperback', 'Hardcover', 'eBook'])})`;
}

/**
 * The demo catalogue: eight departments with plausible subcategories (fixed names, unique case-insensitively
 * across the whole tree as the schema requires). Products go into the subcategories only.
 */
export const DEPARTMENTS: readonly Department[] = [
  {
    name: 'Electronics',
    description: 'Computers, phones, audio and the gadgets around them.',
    services: ['a two-year warranty', 'free next-day delivery', 'a recyclable, plastic-free box'],
    audiences: ['commuters', 'students', 'home offices', 'gamers', 'travellers', 'creative professionals'],
    variant: model,
    subcategories: [
      leaf('Laptops', 'Notebooks and ultrabooks for work and play.', band(299, 1200, 3500), ['Laptop', 'Notebook', 'Ultrabook', 'Chromebook', '2-in-1 Laptop'], ['Pro', 'Ultra', 'Slim', 'Gaming', 'Business', 'Lightweight', 'Touchscreen'], ['a battery that lasts all day', 'a bright 14-inch display', 'a backlit keyboard', 'a brushed aluminium body']),
      leaf('Smartphones', 'Unlocked phones from every major maker.', band(99, 900, 1800), ['Smartphone', 'Phone', 'Android Phone', 'Flip Phone'], ['Pro', 'Max', 'Lite', 'Compact', 'Rugged', '5G'], ['a triple-lens camera', 'USB-C fast charging', 'an OLED display', 'water resistance']),
      leaf('Headphones & Audio', 'Headphones, earbuds and speakers.', band(15, 250, 900), ['Headphones', 'Earbuds', 'Bluetooth Speaker', 'Soundbar', 'Turntable'], ['Wireless', 'Noise-Cancelling', 'Studio', 'Portable', 'Hi-Fi', 'Sport'], ['rich, balanced sound', 'Bluetooth 5.3', 'low-latency audio', '30 hours of playback']),
      leaf('Cameras', 'Cameras, lenses and action cams.', band(39, 900, 4000), ['Mirrorless Camera', 'Action Camera', 'Camera Lens', 'Instant Camera', 'Compact Camera'], ['Full-Frame', 'Compact', 'Waterproof', 'Pro', '4K'], ['4K video', 'fast autofocus', 'image stabilisation', 'a weather-sealed body']),
      leaf('Computer Accessories', 'Keyboards, mice, cables, storage and more.', band(8, 80, 400), ['Keyboard', 'Mouse', 'USB-C Hub', 'External SSD', 'Monitor Stand', 'Charging Cable'], ['Wireless', 'Ergonomic', 'Compact', 'Mechanical', 'Braided', 'Portable'], ['plug-and-play setup', 'a compact footprint', 'USB-C connectivity', 'a durable build']),
    ],
  },
  {
    name: 'Clothing',
    description: 'Everyday wear, outerwear, shoes and accessories.',
    services: ['free returns', 'free exchanges within 60 days', 'a gift box on request'],
    audiences: ['everyday wear', 'the office', 'weekends', 'travel', 'cooler evenings'],
    variant: (faker) => ` – ${colour(faker)}, ${faker.helpers.arrayElement(['XS', 'S', 'M', 'L', 'XL', 'XXL'])}`,
    subcategories: [
      leaf("Men's Clothing", 'Shirts, trousers, knitwear and more for men.', band(12, 80, 250), ['T-Shirt', 'Oxford Shirt', 'Chinos', 'Jeans', 'Hoodie', 'Sweater'], ['Classic', 'Slim-Fit', 'Relaxed', 'Organic', 'Vintage', 'Everyday'], ['breathable organic cotton', 'a tailored fit', 'reinforced seams', 'machine-washable fabric']),
      leaf("Women's Clothing", 'Dresses, tops, trousers and knitwear for women.', band(12, 90, 300), ['Dress', 'Blouse', 'Cardigan', 'Jeans', 'Skirt', 'Jumpsuit'], ['Classic', 'Wrap', 'Relaxed', 'Organic', 'Linen', 'High-Waisted'], ['soft, drapey fabric', 'a flattering fit', 'hidden pockets', 'machine-washable fabric']),
      leaf('Outerwear', 'Jackets and coats for every season.', band(35, 180, 600), ['Rain Jacket', 'Parka', 'Puffer Jacket', 'Trench Coat', 'Fleece'], ['Waterproof', 'Insulated', 'Packable', 'Lightweight', 'Recycled', 'Hooded'], ['a water-repellent finish', 'taped seams', 'soft brushed lining', 'recycled insulation']),
      leaf('Shoes', 'Sneakers, boots and everyday shoes.', band(25, 120, 400), ['Sneakers', 'Running Shoes', 'Chelsea Boots', 'Loafers', 'Sandals'], ['Classic', 'Leather', 'Suede', 'Cushioned', 'Vegan', 'Trail'], ['a cushioned footbed', 'a grippy rubber sole', 'full-grain leather', 'a breathable lining']),
      leaf('Bags & Accessories', 'Bags, belts, hats and scarves.', band(9, 60, 350), ['Backpack', 'Tote Bag', 'Leather Belt', 'Beanie', 'Scarf', 'Wallet'], ['Leather', 'Canvas', 'Wool', 'Minimalist', 'Everyday', 'Travel'], ['durable materials', 'a timeless design', 'hand-finished edges', 'plenty of room']),
    ],
  },
  {
    name: 'Books',
    description: 'Fiction, non-fiction, cookbooks and books for children.',
    services: ['free delivery on orders of two books or more', 'a gift receipt on request'],
    audiences: ['book clubs', 'curious readers', 'gift-giving', 'long journeys', 'young readers'],
    variant: () => '',
    subcategories: [
      leaf('Fiction', 'Novels and short stories, classic and modern.', band(6, 25, 60), ['Novel'], [], ['an introduction by the editor', 'a new translation', 'notes on the text'], { title: bookTitle(['Paperback', 'Hardcover', 'Collector’s Edition', 'Audiobook']) }),
      leaf('Non-Fiction', 'History, science, business and ideas.', band(9, 35, 90), ['Book'], [], ['illustrations throughout', 'a detailed index', 'maps and timelines'], { title: guideTitle(['A Short History of', 'Understanding', 'The Science of', 'The Business of', 'A Field Guide to', 'The Story of'], ['Money', 'the Ocean', 'Sleep', 'Cities', 'the Brain', 'Time', 'Language', 'Trade', 'Climate', 'Flight', 'Memory', 'Maps']) }),
      leaf('Cookbooks', 'Recipes from every kitchen.', band(12, 35, 80), ['Cookbook'], [], ['over 100 tested recipes', 'full-page photographs', 'a seasonal menu planner'], { title: guideTitle(['Simple', 'Everyday', 'The Essential', 'Weeknight', 'Modern', 'Slow'], ['Italian Cooking', 'Baking', 'Vegetarian Dinners', 'Thai Cooking', 'Bread', 'Soups and Stews', 'Grilling', 'Desserts', 'Mexican Cooking', 'Salads']) }),
      leaf("Children's Books", 'Picture books, first readers and young adult fiction.', band(5, 18, 45), ['Book'], [], ['colour illustrations', 'large, easy-to-read type', 'sturdy pages'], { title: guideTitle(['The Little', 'The Brave', 'The Curious', 'The Sleepy', 'Where Is the', 'Goodnight,', 'The Very Hungry'], ['Fox', 'Bear', 'Dragon', 'Owl', 'Rabbit', 'Moon', 'Tractor', 'Penguin', 'Dinosaur', 'Mouse']) }),
    ],
  },
  {
    name: 'Sports & Outdoors',
    description: 'Gear for training, camping, cycling and the outdoors.',
    services: ['a lifetime warranty', 'free returns', 'free assembly on request'],
    audiences: ['weekend hikers', 'home workouts', 'club training', 'family camping trips', 'daily commuters'],
    variant: (faker) => faker.helpers.arrayElement([model(faker), ` – ${colour(faker)}`]),
    subcategories: [
      leaf('Fitness Equipment', 'Weights, mats and home-gym gear.', band(10, 90, 900), ['Yoga Mat', 'Kettlebell', 'Dumbbell Set', 'Resistance Bands', 'Foam Roller', 'Jump Rope'], ['Adjustable', 'Pro', 'Non-Slip', 'Compact', 'Heavy-Duty'], ['non-slip grips', 'a compact footprint', 'a durable coating', 'an exercise guide']),
      leaf('Camping & Hiking', 'Tents, sleeping bags and trail gear.', band(15, 150, 700), ['Tent', 'Sleeping Bag', 'Hiking Backpack', 'Camping Stove', 'Headlamp', 'Trekking Poles'], ['Ultralight', 'All-Weather', 'Trail', 'Packable', 'Expedition'], ['a weatherproof shell', 'a packable design', 'quick setup', 'reflective guy lines']),
      leaf('Cycling', 'Bikes, helmets and cycling accessories.', band(12, 120, 2500), ['Bike Helmet', 'Bike Light Set', 'Cycling Jersey', 'Bike Lock', 'Bike Pump', 'Saddle Bag'], ['Aero', 'Commuter', 'Performance', 'Lightweight', 'Urban'], ['reflective details', 'quick-release mounts', 'a lightweight frame', 'quick-dry fabric']),
      leaf('Team Sports', 'Balls, nets and kit for team games.', band(8, 50, 200), ['Football', 'Basketball', 'Volleyball', 'Shin Guards', 'Goalkeeper Gloves', 'Training Cones'], ['Match', 'Training', 'Pro', 'Junior', 'Indoor', 'Outdoor'], ['match-grade materials', 'a reinforced grip', 'official sizing', 'a carry bag']),
    ],
  },
  {
    name: 'Home & Garden',
    description: 'Furniture, kitchenware, bedding and the garden.',
    services: ['a five-year guarantee', 'free delivery', 'easy returns'],
    audiences: ['small apartments', 'family homes', 'home offices', 'patios and balconies', 'guest rooms'],
    variant: (faker) => ` – ${faker.helpers.arrayElement([colour(faker), faker.helpers.arrayElement(['Small', 'Medium', 'Large'])])}`,
    subcategories: [
      leaf('Furniture', 'Chairs, tables, shelving and storage.', band(40, 400, 2500), ['Armchair', 'Dining Table', 'Bookshelf', 'Desk', 'Sofa', 'Bedside Table'], ['Modern', 'Rustic', 'Scandinavian', 'Solid Oak', 'Mid-Century', 'Minimalist'], ['sustainably sourced wood', 'easy assembly', 'stain-resistant upholstery', 'a space-saving design']),
      leaf('Kitchen & Dining', 'Cookware, tableware and small appliances.', band(8, 80, 600), ['Frying Pan', 'Chef’s Knife', 'Dinner Plates', 'Coffee Grinder', 'Dutch Oven', 'Kettle'], ['Stainless Steel', 'Cast Iron', 'Ceramic', 'Non-Stick', 'Professional', 'Classic'], ['a dishwasher-safe finish', 'even heat distribution', 'an ergonomic handle', 'food-safe materials']),
      leaf('Bedding & Bath', 'Sheets, towels and duvets.', band(10, 70, 300), ['Duvet Cover', 'Bath Towel', 'Pillow', 'Fitted Sheet', 'Bath Mat'], ['Organic Cotton', 'Linen', 'Egyptian Cotton', 'Plush', 'Quick-Dry', 'Hotel'], ['long-staple cotton', 'a soft, breathable weave', 'fade-resistant colours', 'machine-washable fabric']),
      leaf('Garden & Patio', 'Tools, planters and outdoor living.', band(7, 60, 900), ['Planter', 'Garden Hose', 'Pruning Shears', 'Patio Chair', 'Watering Can', 'Bird Feeder'], ['Weatherproof', 'Heavy-Duty', 'Galvanised', 'Foldable', 'Terracotta', 'Classic'], ['UV-resistant materials', 'a rust-proof finish', 'drainage holes', 'a sturdy build']),
      leaf('Lighting & Decor', 'Lamps, mirrors, rugs and wall art.', band(9, 90, 700), ['Floor Lamp', 'Table Lamp', 'Wall Mirror', 'Area Rug', 'Candle Set', 'Picture Frame'], ['Modern', 'Vintage', 'Handcrafted', 'Brass', 'Rattan', 'Minimalist'], ['a dimmable LED', 'a handcrafted finish', 'warm, even light', 'a timeless design']),
    ],
  },
  {
    name: 'Health & Beauty',
    description: 'Skincare, hair care, personal care and wellness.',
    services: ['recyclable packaging', 'a 30-day money-back promise', 'free samples on request'],
    audiences: ['sensitive skin', 'daily routines', 'travel bags', 'gift sets'],
    variant: (faker) =>
      ` – ${faker.helpers.arrayElement(['Lavender', 'Citrus', 'Unscented', 'Mint', 'Coconut', 'Aloe', 'Rose', 'Eucalyptus', 'Sandalwood'])}, ${faker.helpers.arrayElement([30, 50, 100, 150, 250, 500])} ml`,
    subcategories: [
      leaf('Skincare', 'Cleansers, serums and moisturisers.', band(5, 45, 180), ['Face Cream', 'Serum', 'Cleanser', 'Sunscreen', 'Night Cream'], ['Hydrating', 'Gentle', 'Brightening', 'Fragrance-Free', 'Organic'], ['dermatologist-tested ingredients', 'hyaluronic acid', 'a light, non-greasy texture', 'SPF protection']),
      leaf('Hair Care', 'Shampoo, conditioner and styling.', band(4, 30, 90), ['Shampoo', 'Conditioner', 'Hair Oil', 'Styling Gel', 'Dry Shampoo'], ['Nourishing', 'Volumising', 'Repairing', 'Gentle', 'Natural'], ['argan oil', 'a sulphate-free formula', 'a salon-quality finish', 'a fresh scent']),
      leaf('Personal Care', 'Shaving, oral care and hygiene.', band(3, 20, 80), ['Body Wash', 'Deodorant', 'Hand Soap', 'Shaving Cream', 'Toothpaste'], ['Gentle', 'Natural', 'Sensitive', 'Refreshing', 'Daily'], ['a gentle formula', 'a long-lasting scent', 'plant-based ingredients', 'a refillable bottle']),
      leaf('Vitamins & Supplements', 'Everyday vitamins and supplements.', band(6, 35, 120), ['Multivitamin', 'Vitamin D Drops', 'Omega-3 Capsules', 'Protein Powder', 'Magnesium Tablets'], ['Daily', 'High-Strength', 'Vegan', 'Organic', 'Sugar-Free'], ['a three-month supply', 'third-party testing', 'easy-to-swallow capsules', 'no artificial colours'], {
        variant: (faker) => ` – ${faker.helpers.arrayElement([30, 60, 90, 120, 180])}-Day Supply`,
      }),
    ],
  },
  {
    name: 'Toys & Games',
    description: 'Toys, board games, puzzles and building sets.',
    services: ['free gift wrapping', 'free returns', 'a two-year guarantee'],
    audiences: ['family game nights', 'rainy afternoons', 'ages 3 and up', 'ages 8 and up', 'birthday presents'],
    variant: (faker) => ` – ${faker.helpers.arrayElement([`Ages ${faker.number.int({ min: 3, max: 12 })}+`, colour(faker)])}`,
    subcategories: [
      leaf('Board Games', 'Strategy, party and family games.', band(9, 45, 150), ['Board Game', 'Card Game', 'Strategy Game', 'Party Game', 'Chess Set'], ['Classic', 'Deluxe', 'Family', 'Travel', 'Cooperative'], ['rules for two to six players', '30-minute games', 'high-quality components', 'an expansion pack']),
      leaf('Puzzles', 'Jigsaws and brain teasers.', band(6, 30, 90), ['Jigsaw Puzzle', '3D Puzzle', 'Puzzle Cube', 'Brain Teaser'], ['1000-Piece', '500-Piece', 'Wooden', 'Magnetic', 'Panoramic'], ['precision-cut pieces', 'a poster of the picture', 'increasing difficulty', 'a resealable bag']),
      leaf('Building Sets', 'Construction toys for every age.', band(12, 70, 400), ['Building Set', 'Marble Run', 'Construction Kit', 'Robot Kit'], ['Creative', 'Deluxe', 'Junior', 'Motorised', 'Starter'], ['step-by-step instructions', 'compatible bricks', 'a motor and battery box', 'hundreds of pieces']),
      leaf('Dolls & Action Figures', 'Dolls, figures and playsets.', band(7, 40, 200), ['Doll', 'Action Figure', 'Dollhouse', 'Playset', 'Plush Toy'], ['Classic', 'Collectible', 'Interactive', 'Poseable', 'Wooden'], ['poseable joints', 'a change of outfits', 'detailed accessories', 'soft, washable fabric']),
    ],
  },
  {
    name: 'Automotive',
    description: 'Car care, tools, electronics and accessories.',
    services: ['a two-year warranty', 'free returns', 'a fitting guide'],
    audiences: ['daily drivers', 'road trips', 'home garages', 'winter driving'],
    variant: model,
    subcategories: [
      leaf('Car Care', 'Cleaning, polishing and detailing.', band(5, 35, 300), ['Car Wax', 'Microfibre Cloths', 'Wash Mitt', 'Car Shampoo', 'Tyre Shine'], ['Professional', 'Ceramic', 'Quick-Detail', 'Heavy-Duty', 'Eco'], ['a streak-free finish', 'pH-neutral cleaners', 'long-lasting protection', 'a concentrated formula']),
      leaf('Car Electronics', 'Dash cams, chargers and navigation.', band(10, 90, 450), ['Dash Cam', 'Car Charger', 'Phone Mount', 'Tyre Inflator', 'Jump Starter'], ['Compact', 'Smart', 'Wireless', 'Cordless', 'Dual'], ['a 12 V plug', 'night vision', 'one-handed mounting', 'overcharge protection']),
      leaf('Tools & Equipment', 'Jacks, wrenches and garage tools.', band(12, 100, 800), ['Socket Set', 'Torque Wrench', 'Floor Jack', 'OBD2 Scanner', 'Work Light'], ['Professional', 'Heavy-Duty', 'Compact', 'Cordless', 'Universal'], ['a heavy-duty steel build', 'a carry case', 'chrome-vanadium steel', 'a weather-resistant coating']),
    ],
  },
];
