// The version of this build, from package.json (one truth for the CLI, build info and the image).
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
