/**
 * Deterministic filler text for the sample site: realistic-looking prose so that parsing a
 * sample page costs what parsing a real page costs. Pure: the same seed gives the same text.
 */
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were ' +
  'her she there been one all would their we him has when who will more no if out so said what up its about into than ' +
  'them can only other new some could time these two may then do first any my now such like our over man me even most ' +
  'made after also did many before must through back years where much your way well down should because each just those ' +
  'people how too little state good very make world still own see men work long get here between both life being under ' +
  'never day same another know while last might great old year off come since against go came right used take three ' +
  'crawler archive library network server protocol document index search result history garden river mountain station ' +
  'harbour market winter summer village council record letter journal chapter museum bridge railway engine signal'
).split(' ');

/** mulberry32: a tiny seeded PRNG, good enough for filler text. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

export function sentence(rand: () => number): string {
  const n = 8 + Math.floor(rand() * 14);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(pick(rand, WORDS));
  const first = words[0]!;
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  return `${words.join(' ')}.`;
}

/** A paragraph of 80-130 words. */
export function paragraph(rand: () => number): string {
  const parts: string[] = [];
  let words = 0;
  const target = 80 + Math.floor(rand() * 50);
  while (words < target) {
    const s = sentence(rand);
    parts.push(s);
    words += s.split(' ').length;
  }
  return parts.join(' ');
}

export function titleWords(rand: () => number, n: number): string {
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = pick(rand, WORDS);
    words.push(w.charAt(0).toUpperCase() + w.slice(1));
  }
  return words.join(' ');
}
