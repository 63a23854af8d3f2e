import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRepositories, openDatabase } from '../../../server/db/index.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), 'imagineer-migrations-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('drizzle migrations', () => {
  it('are up to date with server/db/schema.ts (run `npm run db:generate` after changing it)', () => {
    cpSync(path.join(repoRoot, 'drizzle'), path.join(work, 'out'), { recursive: true });
    writeFileSync(
      path.join(work, 'drizzle.config.json'),
      JSON.stringify({ dialect: 'sqlite', schema: path.join(repoRoot, 'server/db/schema.ts'), out: './out' }),
    );
    const drizzleKit = path.join(repoRoot, 'node_modules/drizzle-kit/bin.cjs');
    const output = execFileSync(process.execPath, [drizzleKit, 'generate', '--config', 'drizzle.config.json'], { cwd: work, encoding: 'utf8' });
    expect(output).toContain('No schema changes');
    expect(readdirSync(path.join(work, 'out')).filter((f) => f.endsWith('.sql'))).toEqual(
      readdirSync(path.join(repoRoot, 'drizzle')).filter((f) => f.endsWith('.sql')),
    );
  });

  it('create a usable database that a second open leaves as it is', () => {
    const dir = path.join(work, 'data');
    const first = openDatabase(dir);
    const repos = createRepositories(first.db);
    repos.jobs.insertMany([{ prompt: 'p', width: 64, height: 64, steps: 1, totalSteps: 1, guidanceScale: 1, seed: '18446744073709551615', scheduler: 'euler', rng: 'torch', createdAt: 1 }]);
    first.close();
    const second = openDatabase(dir);
    expect(createRepositories(second.db).jobs.counts().QUEUED).toBe(1);
    expect(createRepositories(second.db).jobs.get(1)?.seed).toBe('18446744073709551615');
    second.close();
  });
});
