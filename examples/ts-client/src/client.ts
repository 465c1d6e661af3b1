// A minimal typed client for a Juheli gateway: it sends a persisted document's sha256 and
// its variables, never the text. Types flow from the generated TypedDocumentNode, so a
// result is typed by the operation that asked for it.
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

export interface GatewayConfig {
  url: string; // the gateway's /graphql endpoint
  key: string; // the agency's API key
  purpose: string; // why the officer reads (X-Purpose), e.g. case_handling
  officer: string; // who reads (X-Officer), for the audit log
}

export interface CodedError {
  message: string;
  code: string;
}

/** A response that carried GraphQL errors: every error's `extensions.code`. */
export class GatewayError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly errors: CodedError[],
  ) {
    super(`${operation}: ${errors.map((e) => `${e.code}: ${e.message}`).join("; ")}`);
  }
}

interface WireError {
  message?: string;
  extensions?: { code?: string };
}

/** The sha256 the client preset put in place of the document (replaceDocumentWithHash). */
export function documentHash(document: TypedDocumentNode<unknown, never>): string {
  const meta = (document as { __meta__?: { hash?: string } }).__meta__;
  if (!meta?.hash) {
    throw new Error("not a persisted document: run codegen with persistedDocuments enabled");
  }
  return meta.hash;
}

export function configFromEnv(env: NodeJS.ProcessEnv): GatewayConfig {
  const url = env.JUHELI_URL;
  const key = env.JUHELI_KEY;
  if (!url || !key) {
    throw new Error("set JUHELI_URL (the gateway's /graphql) and JUHELI_KEY (an agency key)");
  }
  return {
    url,
    key,
    purpose: env.JUHELI_PURPOSE ?? "case_handling",
    officer: env.JUHELI_OFFICER ?? "ts-client",
  };
}

export async function execute<TResult, TVariables>(
  config: GatewayConfig,
  operation: string,
  document: TypedDocumentNode<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult> {
  const response = await fetch(config.url, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json",
      Authorization: `Bearer ${config.key}`,
      "X-Purpose": config.purpose,
      "X-Officer": encodeURIComponent(config.officer),
    },
    // GraphQL over HTTP, Appendix A: the document by its id, no `query`.
    body: JSON.stringify({ documentId: documentHash(document as never), variables }),
  });
  const body = (await response.json()) as { data?: TResult | null; errors?: WireError[] };
  if (body.errors?.length || body.data == null) {
    const errors = (body.errors ?? []).map((e) => ({
      message: e.message ?? "",
      code: e.extensions?.code ?? "UNCODED",
    }));
    throw new GatewayError(operation, response.status, errors);
  }
  return body.data;
}
