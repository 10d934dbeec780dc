import type { RequestSender } from './dashboard-session.ts';

/**
 * The dashboard's "send requests" control. It will run the engine's load generator (engine/load);
 * until that lands, it says so instead of pretending.
 */
export const sendRequestsFromDashboard: RequestSender = async () => {
  throw new Error('sending requests from the dashboard needs the load generator, which is not built yet');
};
