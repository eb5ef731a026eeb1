// The help text of `nodemesh demo-app`, kept apart so `--help` loads nothing else.

export const DEMO_APP_HELP = `Usage: nodemesh demo-app web --listen HOST:PORT --name NAME
       nodemesh demo-app traffic --via HOST:PORT --target AUTHORITY [--interval 200ms]

The local mesh's example applications (started by nodemesh demo).
`;
