/** Why a layer could not be saved as a Paddle inference program. */
export class JitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JitError';
  }
}
