import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config.ts';
import type { Clock, ServiceContext } from '../../services/context.ts';
import type { Keyring } from '../../services/keys/keyring.ts';
import type { PiiVault } from '../../services/pii.ts';
import type { Store } from '../../store/db.ts';

export interface AppDeps {
  config: Config;
  store: Store;
  vault: PiiVault;
  clock: Clock;
  keyring: Keyring;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppDeps & { context(request?: FastifyRequest): ServiceContext };
  }
}

/** The app's collaborators, decorated once; routes build a per-request ServiceContext from them. */
export default fp(
  async function services(app: FastifyInstance, deps: AppDeps) {
    app.decorate('services', {
      ...deps,
      context: (request?: FastifyRequest): ServiceContext => ({
        db: deps.store.db,
        config: deps.config,
        clock: deps.clock,
        vault: deps.vault,
        ...(request ? { requestId: request.id } : {}),
      }),
    });
  },
  { name: 'services' },
);
