import { commandLoaders } from './commands/index.ts';
import { UsageError, UserFacingError } from './errors.ts';

function help(): string {
  return [
    'imagineer — themed card-art sets with Stable Diffusion 1.5 on ONNX Runtime',
    '',
    'usage: imagineer <command> [options]',
    '',
    'commands:',
    ...Object.keys(commandLoaders).map((name) => `  ${name}`),
    '',
    'imagineer <command> --help shows the options of one command.',
  ].join('\n');
}

const USER_INPUT_CODES = new Set(['BAD_USER_INPUT', 'VALIDATION', 'CONFIG_INVALID']);

function isCodedError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && !('syscall' in error);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  const load = commandLoaders[name];
  if (!load) {
    console.error(`imagineer: unknown command '${name}' (known: ${Object.keys(commandLoaders).join(', ')})`);
    return 2;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`${command.summary}\n\nusage: ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`imagineer ${name}: ${error.message}`);
      return 2;
    }
    if (error instanceof UserFacingError) {
      console.error(`imagineer ${name}: ${error.message}`);
      return error.exitCode;
    }
    if (isCodedError(error)) {
      // Errors from the engine, config, sets and LoRA modules carry a code and a message written for people.
      console.error(`imagineer ${name}: ${error.message}`);
      return USER_INPUT_CODES.has(error.code) ? 2 : 1;
    }
    throw error;
  }
}
