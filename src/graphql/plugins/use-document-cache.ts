import type { DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';

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

/**
 * Parses each document text once and validates each parsed document once.
 *
 * Replaces Yoga's parser and validation cache (`parserAndValidationCache`, which `createGateway` turns off) for two
 * reasons. It costs less per request: Yoga keys its validation cache by the names of all validation rules, joined
 * afresh for every request, and checks a time-to-live on every read (see docs/performance.md). The gateway's rules
 * are the same for every request (its plugins add them unconditionally), so a parsed document, which is itself
 * cached, is the key; a different number of rules is still noticed and not served from the cache. And it is
 * bounded by size as well as by count: Yoga keeps up to 1,024 documents whatever their length, up to a gigabyte of
 * text at the gateway's 1 MiB body limit, and many times that once parsed. Parse errors are cached like
 * documents. It can go when Yoga's cache is keyed without per-request work and bounded by size.
 */
export function useDocumentCache({
  maxCachedCharacters = 1024 * 1024,
  maxCachedDocuments = 1000,
  maxDocumentCharacters = 64 * 1024,
}: DocumentCacheOptions = {}): Plugin {
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recently used first.
  const parsed = new Map<string, DocumentNode | Error>();
  let cachedCharacters = 0;
  const validated = new WeakMap<DocumentNode, { rules: number; errors: readonly Error[] }>();

  const remember = (source: string, result: DocumentNode | Error) => {
    if (source.length > maxDocumentCharacters || parsed.has(source)) return;
    parsed.set(source, result);
    cachedCharacters += source.length;
    for (const oldest of parsed.keys()) {
      if (cachedCharacters <= maxCachedCharacters && parsed.size <= maxCachedDocuments) break;
      parsed.delete(oldest);
      cachedCharacters -= oldest.length;
    }
  };

  return {
    onParse({ params, setParsedDocument }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      const hit = parsed.get(source);
      if (hit === undefined) {
        return ({ result }) => {
          if (result) remember(source, result);
        };
      }
      parsed.delete(source);
      parsed.set(source, hit);
      if (hit instanceof Error) throw hit;
      setParsedDocument(hit);
      return undefined;
    },
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
