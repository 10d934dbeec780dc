import { z } from 'zod';

// The dashboard's CSP has no 'unsafe-eval'; without this zod probes `new Function`, which the
// browser reports as a CSP violation even though zod catches it.
z.config({ jitless: true });
