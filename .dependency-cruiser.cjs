/**
 * The import rules of src/ (see STYLE.md "Dependencies point inward"), enforced by
 * test/unit/architecture/imports.test.ts: `npx depcruise src dev --config .dependency-cruiser.cjs`.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles-in-src',
      severity: 'error',
      comment: 'Move the shared piece below both users instead of importing sideways.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'src-never-imports-dev',
      severity: 'error',
      comment: 'dev/ holds development stand-ins (Envoy emulator, fake Datadog, dev issuer); the product never depends on them.',
      from: { path: '^src/' },
      to: { path: '^dev/' },
    },
    {
      name: 'only-the-envoy-edge-knows-protos',
      severity: 'error',
      comment: 'Generated proto types are for src/envoy (and the dev stand-ins); everything else works on plain data.',
      from: { path: '^src/', pathNot: '^src/envoy/' },
      to: { path: '^proto/gen/' },
    },
    {
      name: 'the-edge-is-called-not-calling',
      severity: 'error',
      comment: 'Capabilities never import the gRPC edge; the wire contract (src/envoy/contract.ts) is the one module they may read.',
      from: { path: '^src/(?!envoy/|cli/|main\\.ts|gate\\.ts)' },
      to: { path: '^src/envoy/', pathNot: '^src/envoy/contract\\.ts$' },
    },
    {
      name: 'the-wire-contract-imports-nothing',
      severity: 'error',
      from: { path: '^src/envoy/contract\\.ts$' },
      to: { dependencyTypesNot: ['core'] },
    },
    {
      name: 'proc-does-not-reach-into-authz',
      severity: 'error',
      comment: 'ext_proc reads the sealed context (src/seal), not the ext_authz pipeline.',
      from: { path: '^src/proc/' },
      to: { path: '^src/authz/' },
    },
    {
      name: 'pure-cores-import-no-io-room',
      severity: 'error',
      comment: 'mask, policy and seal are pure cores: they import no I/O room.',
      from: { path: '^src/(mask|policy|seal)/' },
      to: { path: '^src/(audit|approvals|proc|authz|db|cli|telemetry)/' },
    },
    {
      name: 'approvals-do-not-import-proc',
      severity: 'error',
      from: { path: '^src/approvals/' },
      to: { path: '^src/proc/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
