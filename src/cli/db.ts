// `switchboard db roles --print`: the SQL an admin runs on an external database to create the
// gateway's runtime role with rows only (src/store/roles.ts). It prints; it never connects.
import { parseArgs } from 'node:util';
import { appRoleScript, EMBEDDED_APP_ROLE, RoleNameError } from '../store/index.js';
import type { Io } from './io.js';

const USAGE = `usage: switchboard db roles --print [--role NAME] [--owner NAME] [--schema NAME] [--database NAME]
  prints the GRANT script for the gateway's runtime role (default ${EMBEDDED_APP_ROLE});
  --owner: the role that runs migrations (its future tables are granted too); run the script after
  the first \`switchboard migrate\`, as that owner or a superuser.
`;

export async function dbCommand(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: {
      print: { type: 'boolean', default: false }, role: { type: 'string' }, owner: { type: 'string' },
      schema: { type: 'string' }, database: { type: 'string' },
    } });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  if (sub !== 'roles' || !v.print) { io.stderr(USAGE); return 2; }
  try {
    io.stdout(appRoleScript(v.role ?? EMBEDDED_APP_ROLE, {
      ...(v.owner !== undefined ? { owner: v.owner } : {}), ...(v.schema !== undefined ? { schema: v.schema } : {}),
      ...(v.database !== undefined ? { database: v.database } : {}),
    }));
    return 0;
  } catch (e) {
    if (e instanceof RoleNameError) { io.stderr(`${e.message}\n`); return 2; }
    throw e;
  }
}
