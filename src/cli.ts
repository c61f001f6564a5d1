#!/usr/bin/env node
// hermes-handoff CLI: the engine from a terminal, plus the demo, the reference gateway and the fake platform.
import { runExampleGateway } from '../examples/gateway/gateway.ts';
import { runFakePlatformCli } from '../examples/gateway/platform/cli.ts';
import { runDemoCli } from './demo/cli.ts';
import { runEngineCli } from './cli/engine.ts';

const HELP = `usage: hermes-handoff <command> [flags]
  promote | preflight | status | rollback   the action's modes; flags are the action's inputs (--host, --known-hosts-file, ...)
  demo [--fault F] [--json]                 a full local promotion of the reference gateway
  example-gateway --home DIR --platform URL [--init-ms N]
  fake-platform --port N --rate R
exit codes: 0 success, 1 a failed verdict, 2 bad input`;

const [cmd, ...rest] = process.argv.slice(2);
const run = async (): Promise<number> => {
  switch (cmd) {
    case 'demo':
      return runDemoCli(rest);
    case 'example-gateway':
      return runExampleGateway(rest);
    case 'fake-platform':
      return runFakePlatformCli(rest);
    case 'promote':
    case 'preflight':
    case 'status':
    case 'rollback':
      return runEngineCli(cmd, rest);
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(HELP + '\n');
      return cmd ? 0 : 2;
    default:
      process.stderr.write(`hermes-handoff: unknown command ${JSON.stringify(cmd)}\n${HELP}\n`);
      return 2;
  }
};
run().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`hermes-handoff: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
