// Every command of hermes-handoff with its one line: the top-level --help and each command's own help read this.
import { closestName } from '../config/closest.ts';

/** The commands that run the action's engine (its modes), in --help order. */
export const ENGINE_COMMANDS = ['promote', 'preflight', 'status', 'rollback'] as const;
export type EngineCommand = (typeof ENGINE_COMMANDS)[number];

/** The commands loaded from dist/examples/ (examples/bin/ in the sources) only when run: not the product. */
export const EXAMPLE_COMMANDS = ['demo', 'example-gateway', 'fake-platform'] as const;
export type ExampleCommand = (typeof EXAMPLE_COMMANDS)[number];

/** The tools for a gateway's maintainers (src/conformance/). */
export const TOOL_COMMANDS = ['conformance'] as const;
export type ToolCommand = (typeof TOOL_COMMANDS)[number];

/** One line per command. */
export const COMMAND_LINES: Readonly<Record<EngineCommand | ExampleCommand | ToolCommand, string>> = {
  promote: 'start green beside the running gateway, hand over, bake, report the verdict',
  preflight: 'check that the host is ready for a handoff; changes nothing',
  status: 'follow the handoff under way, or report how the last one ended',
  rollback: 'ask the handoff under way to roll back (during its bake)',
  demo: 'a full promotion of the reference gateway on this machine, with nothing to install',
  'example-gateway': 'run the reference gateway (blue; green when HERMES_HANDOFF_ID is set)',
  'fake-platform': 'run the fake chat platforms (Telegram, Discord) for a gateway to poll',
  conformance: "drive a gateway's blue or green through the protocol's edge cases, one line per case",
};

/** The text of `hermes-handoff --help`: every command with its line. */
export function topHelp(): string {
  const names = [...ENGINE_COMMANDS, ...EXAMPLE_COMMANDS, ...TOOL_COMMANDS];
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const line = (n: (typeof names)[number]) => `  ${n.padEnd(width)}${COMMAND_LINES[n]}`;
  return `Usage: hermes-handoff <command> [flags]

Commands (the action's modes; flags are its inputs):
${ENGINE_COMMANDS.map(line).join('\n')}

Examples (not the product; they run on this machine):
${EXAMPLE_COMMANDS.map(line).join('\n')}

For a gateway's maintainers:
${TOOL_COMMANDS.map(line).join('\n')}

hermes-handoff <command> --help (or hermes-handoff help <command>) shows a command's flags.
hermes-handoff --version prints the version.
Exit status: 0 success, 1 a failed verdict, 2 bad input.
`;
}

/** The command closest to a mistyped one (`promot` -> `promote`), or null. */
export function closestCommand(name: string): string | null {
  return closestName(name, [...ENGINE_COMMANDS, ...EXAMPLE_COMMANDS, ...TOOL_COMMANDS, 'help']);
}
