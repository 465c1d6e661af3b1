// graphql-codegen: TypeScript types of every operation, and the persisted-documents manifest
// the gateway's `gateway documents add` registers. The schema is the gateway's checked-in SDL.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["../operations/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        // The bundle carries each document's sha256 only, never its text: a production
        // gateway runs trusted documents alone, so the text would be dead weight.
        persistedDocuments: { mode: "replaceDocumentWithHash", hashAlgorithm: "sha256" },
        fragmentMasking: false,
      },
      config: {
        // Plain string unions: nothing to import at run time, and node can strip the types.
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: "string", DateTime: "string" },
      },
    },
  },
};

export default config;
