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

/** A project and group whose webhooks GraphiQL's example reads, and a hook of the project that its test example tests. */
export interface GraphiQLWebhookExample {
  /** Full path of the project, such as `example-group/example-project`. */
  projectPath: string;
  /** Full path of the group, such as `example-group`. */
  groupPath: string;
  /** Global ID of a project hook whose receiver answers 2xx, so that its test succeeds. */
  projectHookId: string;
}

/**
 * What GraphiQL adds when a project and group with webhooks are known (`npm start` with the embedded GitLab): a
 * query over their hooks with each hook's latest deliveries, and a test of the hook whose receiver accepts it.
 * Paths and IDs go in as JSON strings, so that any path makes a valid document.
 */
function webhooksExample({ projectPath, groupPath, projectHookId }: GraphiQLWebhookExample): string {
  return `
# The webhooks of a project and of its group, with each project hook's
# latest deliveries (GitLab's delivery log). A project's Maintainers and a
# group's Owners may read them; see docs/webhooks.md.
query ProjectAndGroupWebhooks {
  project(fullPath: ${JSON.stringify(projectPath)}) {
    fullPath
    webhooks(first: 20) {
      count
      nodes {
        id
        name
        url
        pushEvents
        mergeRequestsEvents
        alertStatus
        webhookEvents(first: 5) {
          count
          nodes { trigger responseStatus createdAt }
        }
      }
    }
  }
  group(fullPath: ${JSON.stringify(groupPath)}) {
    webhooks(first: 20) {
      count
      nodes { id name url urlVariables { key } memberEvents subgroupEvents }
    }
  }
}

# Make GitLab send its push sample to the hook whose receiver accepts it
# (the others point at example domains: their tests fail, and "errors"
# says why), then run ProjectAndGroupWebhooks again to see the delivery.
mutation TestProjectHook {
  testProjectHook(input: { id: ${JSON.stringify(projectHookId)}, trigger: PUSH_EVENTS }) {
    errors
    projectHook { name url }
  }
}
`;
}

/**
 * What GraphiQL adds when a hook delivers to this gateway's own receiver (`npm start` with the embedded GitLab):
 * a subscription to watch in one tab while the mutation, run in another, makes GitLab deliver a test event, and
 * the list of the events received so far.
 */
function eventsExample(receiverHookId: string): string {
  return `
# Watch system hook events arrive: run "Events" here (it keeps listening), then open a new tab, paste
# "DeliverATestEvent" there and run it. GitLab delivers a project_create test event to the gateway's receiver,
# and it appears here.
subscription Events {
  systemHookEventReceived {
    __typename
    type
    eventName
    deliveryId
    receivedAt
    verifiedBy
    cursor
    ... on ProjectSystemHookEvent { name path projectId }
  }
}

mutation DeliverATestEvent {
  testSystemHook(input: { id: "${receiverHookId}" }) { systemHook { url } errors }
}

# The events the gateway retains, newest last: what a page shows before it subscribes after streamCursor.
query RecentEvents {
  systemHookEvents(last: 20) {
    count
    streamCursor
    edges { node { __typename type eventName receivedAt cursor } }
    pageInfo { hasPreviousPage endCursor }
  }
}
`;
}

interface GraphiQLExampleOptions {
  /** Headers GraphiQL starts with, such as the embedded GitLab's admin token. */
  headers?: Record<string, string> | undefined;
  /** A project and group whose webhooks the examples read; adds the webhooks example. */
  webhookExample?: GraphiQLWebhookExample | undefined;
  /** The global ID of a hook that delivers to this gateway's receiver; adds the events example. */
  receiverHookId?: string | undefined;
}

/** GraphiQL's options: the example operations, and headers pre-filled. */
export function graphiqlOptions({
  headers = {},
  webhookExample,
  receiverHookId,
}: GraphiQLExampleOptions = {}): GraphiQLOptions {
  return {
    title: 'GitLab System Hooks',
    defaultQuery:
      EXAMPLE_QUERY +
      (webhookExample ? webhooksExample(webhookExample) : '') +
      (receiverHookId ? eventsExample(receiverHookId) : ''),
    headers: JSON.stringify(headers, null, 2),
  };
}

/**
 * Renders GraphiQL with its scripts, styles, fonts and editor workers inlined from the installed package, instead
 * of from Yoga's default CDN: it works offline and behind a firewall. The renderer is imported on the first page
 * view: it is a 9 MB module that costs about 95 MB of memory once loaded, which a gateway that only answers API
 * calls never needs. The page is built again only when its options change, which happens at most once: when
 * `npm start` has made the hook the events example names.
 */
export function createGraphiQLRenderer(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  let builtFor: string | undefined;
  return (options) => {
    const key = JSON.stringify(options);
    if (page !== undefined && key === builtFor) return page;
    builtFor = key;
    const building = import('@graphql-yoga/render-graphiql')
      .then((module) => module.renderGraphiQL(options))
      .catch((error: unknown) => {
        // A failed load is not kept: the next page view tries again.
        if (page === building) page = undefined;
        throw error;
      });
    page = building;
    return building;
  };
}
