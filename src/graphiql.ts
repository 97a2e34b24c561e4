import type { GraphiQLOptions } from 'graphql-yoga';

/** What GraphiQL shows first: a query that works against any GitLab the gateway is pointed at. */
const EXAMPLE_QUERY = `# System hooks of the GitLab behind this gateway. Press the run button (or Ctrl-Enter).
query SystemHooks {
  systemHooks(first: 20) {
    count
    nodes {
      id
      url
      name
      pushEvents
      urlVariables { key }
      createdAt
    }
    pageInfo { hasNextPage endCursor }
  }
}
`;

/** GraphiQL's options: the example query, and `headers` (such as the embedded GitLab's admin token) pre-filled. */
export function graphiqlOptions(headers: Record<string, string> = {}): GraphiQLOptions {
  return {
    title: 'GitLab System Hooks',
    defaultQuery: EXAMPLE_QUERY,
    headers: JSON.stringify(headers, null, 2),
  };
}

/**
 * Renders GraphiQL with its scripts, styles, fonts and editor workers inlined from the installed package, instead
 * of from Yoga's default CDN: it works offline and behind a firewall. The renderer is imported on the first page
 * view: it is a 9 MB module that costs about 95 MB of memory once loaded, which a gateway that only answers API
 * calls never needs. The options never change for a gateway, so the page is built once.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  return (options) => {
    page ??= import('@graphql-yoga/render-graphiql')
      .then((module) => module.renderGraphiQL(options))
      .catch((error: unknown) => {
        // A failed load is not kept: the next page view tries again.
        page = undefined;
        throw error;
      });
    return page;
  };
}
