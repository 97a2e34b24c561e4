/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Parameters of a new system hook. Left-out fields take GitLab defaults. */
export type CreateSystemHookInput = {
  /** How `pushEventsBranchFilter` is matched. */
  branchFilterStrategy?: WebhookBranchFilterStrategy | null | undefined;
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** Custom headers to set (merged into the existing ones on update). */
  customHeaders?: Array<WebhookCustomHeaderInput> | null | undefined;
  /** Description of the hook. */
  description?: string | null | undefined;
  /** Verify TLS certificates on delivery. */
  enableSslVerification?: boolean | null | undefined;
  /** Trigger on merge request events. */
  mergeRequestsEvents?: boolean | null | undefined;
  /** Name of the hook. */
  name?: string | null | undefined;
  /** Trigger on push events. */
  pushEvents?: boolean | null | undefined;
  /** Branches whose pushes trigger the hook. */
  pushEventsBranchFilter?: string | null | undefined;
  /** Trigger on repository update events. */
  repositoryUpdateEvents?: boolean | null | undefined;
  /** Key that signs each delivery (`webhook-signature`, Standard Webhooks): `whsec_` and the base64 of 32 random bytes (GitLab 19.0+; write-only, never returned). */
  signingToken?: string | null | undefined;
  /** Trigger on tag push events. */
  tagPushEvents?: boolean | null | undefined;
  /** Secret sent in the `X-Gitlab-Token` header of each delivery (write-only; never returned). */
  token?: string | null | undefined;
  /** URL GitLab delivers to; may reference URL variables as `{key}`. */
  url: string;
  /** URL variables to set (merged into the existing ones on update). */
  urlVariables?: Array<WebhookUrlVariableInput> | null | undefined;
};

/** The custom header to remove from a hook. */
export type DeleteHookCustomHeaderInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook: its global ID (`gid://gitlab/SystemHook/<id>`, `gid://gitlab/ProjectHook/<id>?project_id=<project_id>`, `gid://gitlab/GroupHook/<id>?group_id=<group_id>`), or a system hook's REST id. */
  hookId: string | number;
  /** Name of the custom header. */
  key: string;
};

/** The URL variable to remove from a hook. */
export type DeleteHookUrlVariableInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook: its global ID (`gid://gitlab/SystemHook/<id>`, `gid://gitlab/ProjectHook/<id>?project_id=<project_id>`, `gid://gitlab/GroupHook/<id>?group_id=<group_id>`), or a system hook's REST id. */
  hookId: string | number;
  /** Name of the URL variable. */
  key: string;
};

/** The system hook to delete. */
export type DeleteSystemHookInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook to delete. Global ID `gid://gitlab/SystemHook/<id>`, or the REST id. */
  id: string | number;
};

/** The custom header to set on a hook. */
export type SetHookCustomHeaderInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook: its global ID (`gid://gitlab/SystemHook/<id>`, `gid://gitlab/ProjectHook/<id>?project_id=<project_id>`, `gid://gitlab/GroupHook/<id>?group_id=<group_id>`), or a system hook's REST id. */
  hookId: string | number;
  /** Name of the custom header. */
  key: string;
  /** Secret value of the custom header (write-only; never returned). */
  value: string;
};

/** The URL variable to set on a hook. */
export type SetHookUrlVariableInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook: its global ID (`gid://gitlab/SystemHook/<id>`, `gid://gitlab/ProjectHook/<id>?project_id=<project_id>`, `gid://gitlab/GroupHook/<id>?group_id=<group_id>`), or a system hook's REST id. */
  hookId: string | number;
  /** Name of the URL variable. */
  key: string;
  /** Secret value of the URL variable (write-only; never returned). */
  value: string;
};

/** The type of a system hook event: GitLab's `event_name` (or `object_kind`) in UPPER_SNAKE, `UNKNOWN` for a name this gateway does not know. */
export type SystemHookEventType =
  /** A role promotion was queued for an administrator to approve. (`gitlab_subscription_member_approval`) Sent only to hooks with `member_approval_events` enabled (GitLab EE); off by default for a new hook. */
  | 'GITLAB_SUBSCRIPTION_MEMBER_APPROVAL'
  /** An administrator approved or denied queued role promotions. (`gitlab_subscription_member_approvals`) Sent only to hooks with `member_approval_events` enabled (GitLab EE); off by default for a new hook. */
  | 'GITLAB_SUBSCRIPTION_MEMBER_APPROVALS'
  /** A group was created. (`group_create`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'GROUP_CREATE'
  /** A group was removed. (`group_destroy`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'GROUP_DESTROY'
  /** A group was renamed: its path or name changed. (`group_rename`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'GROUP_RENAME'
  /** An SSH key was added. (`key_create`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'KEY_CREATE'
  /** An SSH key was removed. (`key_destroy`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'KEY_DESTROY'
  /** A merge request was opened, changed, approved, merged, closed or reopened, or its source branch got a commit. (`merge_request`) Sent only to hooks with `merge_requests_events` enabled (`mergeRequestsEvents` on `SystemHook`); off by default for a new hook. */
  | 'MERGE_REQUEST'
  /** A project was created. (`project_create`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'PROJECT_CREATE'
  /** A project was deleted. (`project_destroy`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'PROJECT_DESTROY'
  /** A project was renamed: its path or name changed within its namespace. (`project_rename`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'PROJECT_RENAME'
  /** A project was moved to another namespace. (`project_transfer`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'PROJECT_TRANSFER'
  /** A project was changed, other than in its path. (`project_update`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'PROJECT_UPDATE'
  /** Commits were pushed to a branch, or a branch was created or deleted; one event per branch. (`push`) Sent only to hooks with `push_events` enabled (`pushEvents` on `SystemHook`); off by default for a new hook. */
  | 'PUSH'
  /** A push changed a repository; one event per push, branches and tags together. (`repository_update`) Sent only to hooks with `repository_update_events` enabled (`repositoryUpdateEvents` on `SystemHook`); on by default for a new hook. */
  | 'REPOSITORY_UPDATE'
  /** A tag was created or deleted; one event per tag. (`tag_push`) Sent only to hooks with `tag_push_events` enabled (`tagPushEvents` on `SystemHook`); off by default for a new hook. */
  | 'TAG_PUSH'
  /** An event this gateway does not know, such as one a newer GitLab added; delivered as it came. */
  | 'UNKNOWN'
  /** A request for access to a group was withdrawn or denied. (`user_access_request_revoked_for_group`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ACCESS_REQUEST_REVOKED_FOR_GROUP'
  /** A request for access to a project was withdrawn or denied. (`user_access_request_revoked_for_project`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ACCESS_REQUEST_REVOKED_FOR_PROJECT'
  /** A user requested access to a group. (`user_access_request_to_group`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ACCESS_REQUEST_TO_GROUP'
  /** A user requested access to a project. (`user_access_request_to_project`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ACCESS_REQUEST_TO_PROJECT'
  /** A user was added to a group. (`user_add_to_group`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ADD_TO_GROUP'
  /** A user was added to a project. (`user_add_to_team`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_ADD_TO_TEAM'
  /** A user account was created. (`user_create`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_CREATE'
  /** A user account was deleted. (`user_destroy`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_DESTROY'
  /** A blocked user tried to sign in. (`user_failed_login`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_FAILED_LOGIN'
  /** A user was removed from a group. (`user_remove_from_group`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_REMOVE_FROM_GROUP'
  /** A user was removed from a project. (`user_remove_from_team`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_REMOVE_FROM_TEAM'
  /** A user changed their username. (`user_rename`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_RENAME'
  /** A group member's role changed. (`user_update_for_group`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_UPDATE_FOR_GROUP'
  /** A project member's role changed. (`user_update_for_team`) A lifecycle event: GitLab sends it to every system hook, and no hook setting turns it off. */
  | 'USER_UPDATE_FOR_TEAM';

/** The system hook to test. */
export type TestSystemHookInput = {
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** The hook to test. Global ID `gid://gitlab/SystemHook/<id>`, or the REST id. */
  id: string | number;
};

/** Changes to a system hook; left-out fields keep their values. As in GitLab, changing `url` without sending `token` clears the token, and a change of the delivered URL resets URL variables and custom headers. */
export type UpdateSystemHookInput = {
  /** How `pushEventsBranchFilter` is matched. */
  branchFilterStrategy?: WebhookBranchFilterStrategy | null | undefined;
  /** A unique identifier for the client performing the mutation, echoed in the payload. */
  clientMutationId?: string | null | undefined;
  /** Custom headers to set (merged into the existing ones on update). */
  customHeaders?: Array<WebhookCustomHeaderInput> | null | undefined;
  /** Description of the hook. */
  description?: string | null | undefined;
  /** Verify TLS certificates on delivery. */
  enableSslVerification?: boolean | null | undefined;
  /** The hook to change. Global ID `gid://gitlab/SystemHook/<id>`, or the REST id. */
  id: string | number;
  /** Trigger on merge request events. */
  mergeRequestsEvents?: boolean | null | undefined;
  /** Name of the hook. */
  name?: string | null | undefined;
  /** Trigger on push events. */
  pushEvents?: boolean | null | undefined;
  /** Branches whose pushes trigger the hook. */
  pushEventsBranchFilter?: string | null | undefined;
  /** Trigger on repository update events. */
  repositoryUpdateEvents?: boolean | null | undefined;
  /** Key that signs each delivery (`webhook-signature`, Standard Webhooks): `whsec_` and the base64 of 32 random bytes (GitLab 19.0+; write-only, never returned). */
  signingToken?: string | null | undefined;
  /** Trigger on tag push events. */
  tagPushEvents?: boolean | null | undefined;
  /** Secret sent in the `X-Gitlab-Token` header of each delivery (write-only; never returned). */
  token?: string | null | undefined;
  /** URL GitLab delivers to; may reference URL variables as `{key}`. */
  url?: string | null | undefined;
  /** URL variables to set (merged into the existing ones on update). */
  urlVariables?: Array<WebhookUrlVariableInput> | null | undefined;
};

/** Whether GitLab is delivering to the hook. System hooks are never disabled automatically. */
export type WebhookAlertStatus =
  /** Disabled after repeated failures (REST: `disabled`). */
  | 'DISABLED'
  /** Deliveries are made (REST: `executable`). */
  | 'EXECUTABLE'
  /** Disabled until `disabledUntil` after failures (REST: `temporarily_disabled`). */
  | 'TEMPORARILY_DISABLED';

/** How `pushEventsBranchFilter` is matched against branch names. */
export type WebhookBranchFilterStrategy =
  /** Every branch; the filter is ignored (REST: `all_branches`). */
  | 'ALL_BRANCHES'
  /** RE2 regular expression (REST: `regex`). */
  | 'REGEX'
  /** Wildcard pattern such as `release/*` (REST: `wildcard`). */
  | 'WILDCARD';

/** A custom header to send with each delivery; its value is never returned. */
export type WebhookCustomHeaderInput = {
  /** Name of the header. */
  key: string;
  /** Secret value of the header (write-only). */
  value: string;
};

/** A URL variable to set: its value replaces `{key}` in the URL at delivery and is never returned. */
export type WebhookUrlVariableInput = {
  /** Name of the variable. */
  key: string;
  /** Secret value of the variable (write-only). */
  value: string;
};

/** How the receiver authenticated a delivery. */
export type WebhookVerification =
  /** Its Standard Webhooks signature (`webhook-signature`, GitLab 19.0+) verified. */
  | 'SIGNATURE'
  /** Its `X-Gitlab-Token` matched one of the configured secret tokens. */
  | 'TOKEN';

export type CreateSystemHookMutationVariables = Exact<{
  input: CreateSystemHookInput;
}>;


export type CreateSystemHookMutation = { createSystemHook: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, url: string, name: string | null, description: string | null, createdAt: string, pushEvents: boolean, tagPushEvents: boolean, mergeRequestsEvents: boolean, repositoryUpdateEvents: boolean, enableSslVerification: boolean, pushEventsBranchFilter: string | null, branchFilterStrategy: WebhookBranchFilterStrategy | null, alertStatus: WebhookAlertStatus | null, disabledUntil: string | null, customWebhookTemplate: string | null, organizationId: number | null, urlVariables: Array<{ key: string }>, customHeaders: Array<{ key: string }> } | null } };

export type UpdateSystemHookMutationVariables = Exact<{
  input: UpdateSystemHookInput;
}>;


export type UpdateSystemHookMutation = { updateSystemHook: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, url: string, name: string | null, description: string | null, createdAt: string, pushEvents: boolean, tagPushEvents: boolean, mergeRequestsEvents: boolean, repositoryUpdateEvents: boolean, enableSslVerification: boolean, pushEventsBranchFilter: string | null, branchFilterStrategy: WebhookBranchFilterStrategy | null, alertStatus: WebhookAlertStatus | null, disabledUntil: string | null, customWebhookTemplate: string | null, organizationId: number | null, urlVariables: Array<{ key: string }>, customHeaders: Array<{ key: string }> } | null } };

export type DeleteSystemHookMutationVariables = Exact<{
  input: DeleteSystemHookInput;
}>;


export type DeleteSystemHookMutation = { deleteSystemHook: { clientMutationId: string | null, errors: Array<string>, deletedSystemHookId: string | null } };

export type TestSystemHookMutationVariables = Exact<{
  input: TestSystemHookInput;
}>;


export type TestSystemHookMutation = { testSystemHook: { clientMutationId: string | null, errors: Array<string>, mockData: Record<string, unknown>, systemHook: { id: string, url: string } | null } };

export type SetHookUrlVariableMutationVariables = Exact<{
  input: SetHookUrlVariableInput;
}>;


export type SetHookUrlVariableMutation = { setHookUrlVariable: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, url: string, urlVariables: Array<{ key: string }> } | null } };

export type DeleteHookUrlVariableMutationVariables = Exact<{
  input: DeleteHookUrlVariableInput;
}>;


export type DeleteHookUrlVariableMutation = { deleteHookUrlVariable: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, urlVariables: Array<{ key: string }> } | null } };

export type SetHookCustomHeaderMutationVariables = Exact<{
  input: SetHookCustomHeaderInput;
}>;


export type SetHookCustomHeaderMutation = { setHookCustomHeader: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, customHeaders: Array<{ key: string }> } | null } };

export type DeleteHookCustomHeaderMutationVariables = Exact<{
  input: DeleteHookCustomHeaderInput;
}>;


export type DeleteHookCustomHeaderMutation = { deleteHookCustomHeader: { clientMutationId: string | null, errors: Array<string>, systemHook: { id: string, customHeaders: Array<{ key: string }> } | null } };

export type SystemHooksQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
}>;


export type SystemHooksQuery = { systemHooks: { count: number, pageInfo: { hasNextPage: boolean, hasPreviousPage: boolean, startCursor: string | null, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, url: string } }>, nodes: Array<{ id: string, url: string, name: string | null, description: string | null, createdAt: string, pushEvents: boolean, tagPushEvents: boolean, mergeRequestsEvents: boolean, repositoryUpdateEvents: boolean, enableSslVerification: boolean, pushEventsBranchFilter: string | null, branchFilterStrategy: WebhookBranchFilterStrategy | null, alertStatus: WebhookAlertStatus | null, disabledUntil: string | null, customWebhookTemplate: string | null, organizationId: number | null, urlVariables: Array<{ key: string }>, customHeaders: Array<{ key: string }> }> } };

export type SystemHookQueryVariables = Exact<{
  id: string | number;
}>;


export type SystemHookQuery = { systemHook: { id: string, url: string, name: string | null, description: string | null, createdAt: string, pushEvents: boolean, tagPushEvents: boolean, mergeRequestsEvents: boolean, repositoryUpdateEvents: boolean, enableSslVerification: boolean, pushEventsBranchFilter: string | null, branchFilterStrategy: WebhookBranchFilterStrategy | null, alertStatus: WebhookAlertStatus | null, disabledUntil: string | null, customWebhookTemplate: string | null, organizationId: number | null, urlVariables: Array<{ key: string }>, customHeaders: Array<{ key: string }> } | null };

export type NodeQueryVariables = Exact<{
  id: string | number;
}>;


export type NodeQuery = { node:
    | { id: string }
    | { id: string }
    | { url: string, id: string }
    | { id: string }
   | null };

export type NodesQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type NodesQuery = { nodes: Array<
    | { id: string }
    | { id: string }
    | { url: string, id: string }
    | { id: string }
   | null> };

export type RecentSystemHookEventsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
  last?: number | null | undefined;
  before?: string | null | undefined;
  types?: Array<SystemHookEventType> | SystemHookEventType | null | undefined;
}>;


export type RecentSystemHookEventsQuery = { systemHookEvents: { count: number, streamCursor: string, edges: Array<{ cursor: string, node:
        | { __typename: 'GroupMemberSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'GroupSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'KeySystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'MemberApprovalSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'MergeRequestSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'ProjectMemberSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'ProjectSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'PushSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'RepositoryUpdateSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'TagPushSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'UnknownSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
        | { __typename: 'UserSystemHookEvent', cursor: string, type: SystemHookEventType, deliveryId: string, payload: Record<string, unknown> }
       }>, pageInfo: { hasPreviousPage: boolean, hasNextPage: boolean, startCursor: string | null, endCursor: string | null } } };

export type SystemHookEventsSubscriptionVariables = Exact<{
  types?: Array<SystemHookEventType> | SystemHookEventType | null | undefined;
  after?: string | null | undefined;
}>;


export type SystemHookEventsSubscription = { systemHookEventReceived:
    | { __typename: 'GroupMemberSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'GroupSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'KeySystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'MemberApprovalSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'MergeRequestSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'ProjectMemberSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'ProjectSystemHookEvent', projectId: string | null, name: string | null, path: string | null, pathWithNamespace: string | null, cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'PushSystemHookEvent', ref: string | null, before: string | null, after: string | null, totalCommitsCount: number | null, cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'RepositoryUpdateSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'TagPushSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'UnknownSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
    | { __typename: 'UserSystemHookEvent', cursor: string, type: SystemHookEventType, eventName: string, deliveryId: string, receivedAt: string, verifiedBy: WebhookVerification, instance: string | null, gitlabVersion: string | null, payload: Record<string, unknown> }
   | null };

export type SystemHookFieldsFragment = { id: string, url: string, name: string | null, description: string | null, createdAt: string, pushEvents: boolean, tagPushEvents: boolean, mergeRequestsEvents: boolean, repositoryUpdateEvents: boolean, enableSslVerification: boolean, pushEventsBranchFilter: string | null, branchFilterStrategy: WebhookBranchFilterStrategy | null, alertStatus: WebhookAlertStatus | null, disabledUntil: string | null, customWebhookTemplate: string | null, organizationId: number | null, urlVariables: Array<{ key: string }>, customHeaders: Array<{ key: string }> };

export const SystemHookFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SystemHookFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"tagPushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"mergeRequestsEvents"}},{"kind":"Field","name":{"kind":"Name","value":"repositoryUpdateEvents"}},{"kind":"Field","name":{"kind":"Name","value":"enableSslVerification"}},{"kind":"Field","name":{"kind":"Name","value":"pushEventsBranchFilter"}},{"kind":"Field","name":{"kind":"Name","value":"branchFilterStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"alertStatus"}},{"kind":"Field","name":{"kind":"Name","value":"disabledUntil"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customWebhookTemplate"}},{"kind":"Field","name":{"kind":"Name","value":"organizationId"}}]}}]} as unknown as DocumentNode<SystemHookFieldsFragment, unknown>;
export const CreateSystemHookDocument = {"__meta__":{"hash":"sha256:c1a27cacf23063d88d06fcc71ec23cfb83899abf1ebcec86be5dc089e8e6cb8c"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateSystemHook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateSystemHookInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createSystemHook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SystemHookFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SystemHookFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"tagPushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"mergeRequestsEvents"}},{"kind":"Field","name":{"kind":"Name","value":"repositoryUpdateEvents"}},{"kind":"Field","name":{"kind":"Name","value":"enableSslVerification"}},{"kind":"Field","name":{"kind":"Name","value":"pushEventsBranchFilter"}},{"kind":"Field","name":{"kind":"Name","value":"branchFilterStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"alertStatus"}},{"kind":"Field","name":{"kind":"Name","value":"disabledUntil"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customWebhookTemplate"}},{"kind":"Field","name":{"kind":"Name","value":"organizationId"}}]}}]} as unknown as DocumentNode<CreateSystemHookMutation, CreateSystemHookMutationVariables>;
export const UpdateSystemHookDocument = {"__meta__":{"hash":"sha256:fbea48e38498e63a3f0d4e973feee97d2f85e821b7905b0856652fc7b7c6fcc3"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"UpdateSystemHook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"UpdateSystemHookInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"updateSystemHook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SystemHookFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SystemHookFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"tagPushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"mergeRequestsEvents"}},{"kind":"Field","name":{"kind":"Name","value":"repositoryUpdateEvents"}},{"kind":"Field","name":{"kind":"Name","value":"enableSslVerification"}},{"kind":"Field","name":{"kind":"Name","value":"pushEventsBranchFilter"}},{"kind":"Field","name":{"kind":"Name","value":"branchFilterStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"alertStatus"}},{"kind":"Field","name":{"kind":"Name","value":"disabledUntil"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customWebhookTemplate"}},{"kind":"Field","name":{"kind":"Name","value":"organizationId"}}]}}]} as unknown as DocumentNode<UpdateSystemHookMutation, UpdateSystemHookMutationVariables>;
export const DeleteSystemHookDocument = {"__meta__":{"hash":"sha256:bc3a1e27343aff4014a303ac89fba6426cbf098fedafc5fd0c6a7f3fc9fcfa4b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteSystemHook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DeleteSystemHookInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteSystemHook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"deletedSystemHookId"}}]}}]}}]} as unknown as DocumentNode<DeleteSystemHookMutation, DeleteSystemHookMutationVariables>;
export const TestSystemHookDocument = {"__meta__":{"hash":"sha256:f6e7c77a79d88f234a761b4f77765cc3d8b3cf5a2196b679729b30e7bd46497e"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"TestSystemHook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"TestSystemHookInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"testSystemHook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"mockData"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]}}]} as unknown as DocumentNode<TestSystemHookMutation, TestSystemHookMutationVariables>;
export const SetHookUrlVariableDocument = {"__meta__":{"hash":"sha256:7117a5989178985d158c734e1f357130c59dd277fd4611b9da87feb1a34d0d94"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetHookUrlVariable"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetHookUrlVariableInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setHookUrlVariable"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SetHookUrlVariableMutation, SetHookUrlVariableMutationVariables>;
export const DeleteHookUrlVariableDocument = {"__meta__":{"hash":"sha256:ea0995f450560eec373e4448466b337847c43e1cf0e69e100df4f6783d9c8c7a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteHookUrlVariable"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DeleteHookUrlVariableInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteHookUrlVariable"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DeleteHookUrlVariableMutation, DeleteHookUrlVariableMutationVariables>;
export const SetHookCustomHeaderDocument = {"__meta__":{"hash":"sha256:4870d3bcbe7d255b303ad98772986fa096d3760a2775fd04451c9547956cea8f"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetHookCustomHeader"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SetHookCustomHeaderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setHookCustomHeader"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}}]}}]}}]}}]} as unknown as DocumentNode<SetHookCustomHeaderMutation, SetHookCustomHeaderMutationVariables>;
export const DeleteHookCustomHeaderDocument = {"__meta__":{"hash":"sha256:51883b028f326ee9f3b3b3501bd82c7d0f218dd4706a93e3a410fef579286194"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"DeleteHookCustomHeader"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"DeleteHookCustomHeaderInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"deleteHookCustomHeader"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"clientMutationId"}},{"kind":"Field","name":{"kind":"Name","value":"errors"}},{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}}]}}]}}]}}]} as unknown as DocumentNode<DeleteHookCustomHeaderMutation, DeleteHookCustomHeaderMutationVariables>;
export const SystemHooksDocument = {"__meta__":{"hash":"sha256:1c0f2cc933f7457f88f62b6284135111d145fb294cf0b970669c749bcc234d1b"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SystemHooks"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"systemHooks"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SystemHookFields"}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SystemHookFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"tagPushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"mergeRequestsEvents"}},{"kind":"Field","name":{"kind":"Name","value":"repositoryUpdateEvents"}},{"kind":"Field","name":{"kind":"Name","value":"enableSslVerification"}},{"kind":"Field","name":{"kind":"Name","value":"pushEventsBranchFilter"}},{"kind":"Field","name":{"kind":"Name","value":"branchFilterStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"alertStatus"}},{"kind":"Field","name":{"kind":"Name","value":"disabledUntil"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customWebhookTemplate"}},{"kind":"Field","name":{"kind":"Name","value":"organizationId"}}]}}]} as unknown as DocumentNode<SystemHooksQuery, SystemHooksQueryVariables>;
export const SystemHookDocument = {"__meta__":{"hash":"sha256:74a13098ede3bb8d38ba8bfde3fe07f74fc7bea4d97a613216f69eb2dc370f55"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"SystemHook"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"systemHook"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SystemHookFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SystemHookFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"url"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"description"}},{"kind":"Field","name":{"kind":"Name","value":"createdAt"}},{"kind":"Field","name":{"kind":"Name","value":"pushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"tagPushEvents"}},{"kind":"Field","name":{"kind":"Name","value":"mergeRequestsEvents"}},{"kind":"Field","name":{"kind":"Name","value":"repositoryUpdateEvents"}},{"kind":"Field","name":{"kind":"Name","value":"enableSslVerification"}},{"kind":"Field","name":{"kind":"Name","value":"pushEventsBranchFilter"}},{"kind":"Field","name":{"kind":"Name","value":"branchFilterStrategy"}},{"kind":"Field","name":{"kind":"Name","value":"alertStatus"}},{"kind":"Field","name":{"kind":"Name","value":"disabledUntil"}},{"kind":"Field","name":{"kind":"Name","value":"urlVariables"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customHeaders"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"key"}}]}},{"kind":"Field","name":{"kind":"Name","value":"customWebhookTemplate"}},{"kind":"Field","name":{"kind":"Name","value":"organizationId"}}]}}]} as unknown as DocumentNode<SystemHookQuery, SystemHookQueryVariables>;
export const NodeDocument = {"__meta__":{"hash":"sha256:19d5b407825db895d861eef8157b37f33922e0072489d3fb4e049725045c8539"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Node"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]}}]} as unknown as DocumentNode<NodeQuery, NodeQueryVariables>;
export const NodesDocument = {"__meta__":{"hash":"sha256:ad47145be2d4f4ed2be734100ca4ff3d989576981fb0b3154ffec681dd7a663a"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Nodes"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nodes"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHook"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"url"}}]}}]}}]}}]} as unknown as DocumentNode<NodesQuery, NodesQueryVariables>;
export const RecentSystemHookEventsDocument = {"__meta__":{"hash":"sha256:c91f1821687beed730ab34c5a0c9b0e2e6b86d996559e6115e6aa8edf8ac5f11"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"RecentSystemHookEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"last"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"before"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHookEventType"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"systemHookEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}},{"kind":"Argument","name":{"kind":"Name","value":"last"},"value":{"kind":"Variable","name":{"kind":"Name","value":"last"}}},{"kind":"Argument","name":{"kind":"Name","value":"before"},"value":{"kind":"Variable","name":{"kind":"Name","value":"before"}}},{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"streamCursor"}},{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"deliveryId"}},{"kind":"Field","name":{"kind":"Name","value":"payload"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasPreviousPage"}},{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"startCursor"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}}]} as unknown as DocumentNode<RecentSystemHookEventsQuery, RecentSystemHookEventsQueryVariables>;
export const SystemHookEventsDocument = {"__meta__":{"hash":"sha256:a534174a1188e58d9228c3ec6265d7c4edec1201064fede1480239219bd05a27"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"SystemHookEvents"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"types"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"SystemHookEventType"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"systemHookEventReceived"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"types"},"value":{"kind":"Variable","name":{"kind":"Name","value":"types"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"type"}},{"kind":"Field","name":{"kind":"Name","value":"eventName"}},{"kind":"Field","name":{"kind":"Name","value":"deliveryId"}},{"kind":"Field","name":{"kind":"Name","value":"receivedAt"}},{"kind":"Field","name":{"kind":"Name","value":"verifiedBy"}},{"kind":"Field","name":{"kind":"Name","value":"instance"}},{"kind":"Field","name":{"kind":"Name","value":"gitlabVersion"}},{"kind":"Field","name":{"kind":"Name","value":"payload"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"ProjectSystemHookEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"projectId"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"pathWithNamespace"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"PushSystemHookEvent"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ref"}},{"kind":"Field","name":{"kind":"Name","value":"before"}},{"kind":"Field","name":{"kind":"Name","value":"after"}},{"kind":"Field","name":{"kind":"Name","value":"totalCommitsCount"}}]}}]}}]}}]} as unknown as DocumentNode<SystemHookEventsSubscription, SystemHookEventsSubscriptionVariables>;