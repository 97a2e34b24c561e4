import type { DocumentNode } from 'graphql';
import type { Plugin, YogaServerOptions } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

export interface DocumentCacheOptions {
  /**
   * Characters of document text the parse cache may hold in all; the least recently used documents go first.
   * A parsed document takes about 50 to 80 times its text in memory (its tokens and locations), so the default
   * holds at most about 80 MB. @default 1048576 (1 Mi)
   */
  maxCachedCharacters?: number;
  /**
   * Documents the parse cache may hold, however short: a parsed document costs a few kilobytes even when its text
   * is 20 characters. @default 1000
   */
  maxCachedDocuments?: number;
  /**
   * Longest document text that is cached; longer ones are parsed each time they come.
   * @default 65536
   */
  maxDocumentCharacters?: number;
}

/** What Yoga's `parserAndValidationCache` option takes besides `true` and `false`. */
export type ParserAndValidationCache = Exclude<
  NonNullable<YogaServerOptions<object, object>['parserAndValidationCache']>,
  boolean
>;

/**
 * The caches for Yoga's `parserAndValidationCache`: each document text is parsed once, and parse errors are kept
 * like documents. Yoga's default keeps 1,024 documents whatever their length (up to a gigabyte of text at the
 * gateway's 1 MiB body limit, and many times that once parsed) and reads a clock for a time-to-live on every
 * lookup; this one is bounded by size as well as by count, and has no time-to-live. Documents and errors share
 * one `LRUCache`, so that the bounds hold for both together. Validation is left to {@link useValidationCache}
 * (`validationCache: false`).
 */
export function createDocumentCache({
  maxCachedCharacters = 1024 * 1024,
  maxCachedDocuments = 1000,
  maxDocumentCharacters = 64 * 1024,
}: DocumentCacheOptions = {}): ParserAndValidationCache {
  const parsed = new LRUCache<string, DocumentNode | Error>({
    max: maxCachedDocuments,
    maxSize: maxCachedCharacters,
    maxEntrySize: Math.min(maxDocumentCharacters, maxCachedCharacters),
    // lru-cache takes no size of 0: the empty text counts as one character.
    sizeCalculation: (_, source) => Math.max(1, source.length),
  });
  return {
    documentCache: {
      get: (source) => {
        const hit = parsed.get(source);
        return hit instanceof Error ? undefined : hit;
      },
      set: (source, document) => parsed.set(source, document),
    },
    errorCache: {
      get: (source) => {
        const hit = parsed.get(source);
        return hit instanceof Error ? hit : undefined;
      },
      set: (source, error) => {
        if (error instanceof Error) parsed.set(source, error);
      },
    },
    validationCache: false,
  };
}

/**
 * Validates each parsed document once. Yoga's validation cache keys its entries by the names of all validation
 * rules, joined afresh for every request (see docs/performance.md). The gateway's rules are the same for every
 * request (its plugins add them unconditionally), so a parsed document, which is itself cached, is the key; a
 * different number of rules is still noticed and not served from the cache. It can go when Yoga's validation
 * cache is keyed without per-request work.
 */
export function useValidationCache(): Plugin {
  const validated = new WeakMap<DocumentNode, { rules: number; errors: readonly Error[] }>();
  return {
    onValidate({ params: { documentAST, rules }, setResult }) {
      const ruleCount = rules?.length ?? 0;
      const hit = validated.get(documentAST);
      if (hit !== undefined && hit.rules === ruleCount) {
        setResult(hit.errors);
        return undefined;
      }
      return ({ result }) => {
        validated.set(documentAST, { rules: ruleCount, errors: result });
      };
    },
  };
}
