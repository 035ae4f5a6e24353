/**
 * Retrieval over the bundled knowledge base: weighted term overlap (IDF-weighted; question, title
 * and keywords count twice as much as the answer text) between the user's question and each entry,
 * plus a bonus for covering the entry's own question, which breaks ties towards the entry that is
 * about exactly what was asked. A long answer mentions many words in passing, so (like BM25's
 * length normalization) its answer-only terms count for less; see ANSWER_TERMS_AT_FULL_WEIGHT.
 */
import { ALL_KNOWLEDGE_BASE_ENTRIES, FALLBACK_ANSWER, type KnowledgeBaseEntry } from './entries';
import { searchTerms, tokenize } from './tokenizer';

export interface KnowledgeBaseMatch {
  entry: KnowledgeBaseEntry;
  score: number;
  /** `s3://local-knowledge-base/<slug>.md`, the document URI used in citations. */
  uri: string;
}

export interface KnowledgeBaseAnswer {
  /** The answer text (the fallback answer when nothing matched). */
  text: string;
  /** Matched entries, best first; empty when the fallback answer was used. */
  matches: KnowledgeBaseMatch[];
}

export const KNOWLEDGE_BASE_BUCKET = 'local-knowledge-base';
/** Entries scoring below this are not considered a match. */
export const MIN_MATCH_SCORE = 2;
/** Further matches are cited only when they score at least this share of the best one. */
export const RELATED_SCORE_RATIO = 0.4;

export function documentUri(entry: Pick<KnowledgeBaseEntry, 'slug'>): string {
  return `s3://${KNOWLEDGE_BASE_BUCKET}/${entry.slug}.md`;
}

interface IndexedEntry {
  entry: KnowledgeBaseEntry;
  /** Term → weight (2 for question/title/keywords, answerTermWeight (≤ 1) for answer only). */
  weights: Map<string, number>;
  questionTerms: Set<string>;
}

/** Bonus for matching every term of an entry's question (proportionally less for fewer). */
const QUESTION_COVERAGE_BONUS = 2;

/**
 * Answers with up to this many distinct search terms (every short entry: 18–37) weigh each
 * answer-only term 1; longer ones weigh it sqrt(this / their count) (the long answers, ~170 terms:
 * about 0.5), so a guide that touches every topic does not outrank the entry about the question.
 */
export const ANSWER_TERMS_AT_FULL_WEIGHT = 40;

export function answerTermWeight(distinctAnswerTerms: number): number {
  return Math.min(1, Math.sqrt(ANSWER_TERMS_AT_FULL_WEIGHT / Math.max(1, distinctAnswerTerms)));
}

export class KnowledgeBase {
  readonly entries: readonly KnowledgeBaseEntry[];
  private readonly indexed: IndexedEntry[];
  private readonly idf = new Map<string, number>();

  constructor(entries: readonly KnowledgeBaseEntry[] = ALL_KNOWLEDGE_BASE_ENTRIES) {
    if (entries.length === 0) throw new Error('a knowledge base needs at least one entry');
    this.entries = entries;
    this.indexed = entries.map((entry) => {
      const weights = new Map<string, number>();
      const answerTerms = new Set(searchTerms(entry.answer));
      const answerWeight = answerTermWeight(answerTerms.size);
      for (const term of answerTerms) weights.set(term, answerWeight);
      const heading = [entry.question, entry.title, ...entry.keywords].join(' ');
      for (const term of searchTerms(heading)) weights.set(term, 2);
      return { entry, weights, questionTerms: new Set(searchTerms(entry.question)) };
    });
    const documentFrequency = new Map<string, number>();
    for (const { weights } of this.indexed) {
      for (const term of weights.keys()) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
    for (const [term, frequency] of documentFrequency) {
      this.idf.set(term, Math.log(1 + entries.length / frequency));
    }
  }

  /** Entries matching the question, best first (at most `limit`). */
  search(question: string, limit = 3): KnowledgeBaseMatch[] {
    const terms = new Set(searchTerms(question));
    const matches: KnowledgeBaseMatch[] = [];
    for (const { entry, weights, questionTerms } of this.indexed) {
      let score = 0;
      let covered = 0;
      for (const term of terms) {
        const weight = weights.get(term);
        if (weight !== undefined) score += weight * (this.idf.get(term) ?? 0);
        if (questionTerms.has(term)) covered += 1;
      }
      if (score > 0 && questionTerms.size > 0)
        score += (QUESTION_COVERAGE_BONUS * covered) / questionTerms.size;
      if (score >= MIN_MATCH_SCORE) matches.push({ entry, score, uri: documentUri(entry) });
    }
    // Stable: equal scores keep the entries' order.
    return matches.sort((a, b) => b.score - a.score).slice(0, limit);
  }

  /** The answer to a question: the best entry's answer, or a polite fallback. */
  answer(question: string, limit = 3): KnowledgeBaseAnswer {
    const found = this.search(question, limit);
    const best = found[0];
    // Weak neighbours of a strong match are noise, not sources.
    const matches = found.filter((match) => best && match.score >= best.score * RELATED_SCORE_RATIO);
    return { text: best ? best.entry.answer : FALLBACK_ANSWER, matches };
  }

  /**
   * Exactly `tokenCount` tokens: the text cut short, or extended deterministically with the
   * answers of the following entries (for long benchmark answers).
   */
  fitToTokens(text: string, tokenCount: number, startAfter?: KnowledgeBaseEntry): string {
    const tokens = tokenize(text);
    let next = startAfter ? this.entries.indexOf(startAfter) + 1 : 0;
    while (tokens.length < tokenCount) {
      const entry = this.entries[next % this.entries.length] as KnowledgeBaseEntry;
      next += 1;
      tokens.push(...tokenize(` ${entry.answer}`));
    }
    return tokens.slice(0, tokenCount).join('');
  }
}
