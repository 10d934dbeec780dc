/** A component Poolscope cannot serve, with a message meant for the user as is. */
export class ComponentLoadError extends Error {
  override name = 'ComponentLoadError';
}
