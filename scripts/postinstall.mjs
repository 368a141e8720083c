import { appendFileSync } from 'node:fs';
appendFileSync('/tmp/pi.log', `${process.cwd()} ${process.env.npm_command} ${process.env.INIT_CWD}\n`);
