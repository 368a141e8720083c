/**
 * Sends sign-in codes by SMS. No gateway is bundled: an operator supplies one through the app
 * deps (`smsSender`). Production without one refuses code requests (SMS_UNAVAILABLE) instead of
 * logging codes.
 */
export interface SmsSender {
  /** Resolves once the gateway has accepted the message; rejects if it did not. */
  sendSignInCode(message: { phone: string; code: string; expiresInMinutes: number }): Promise<void>;
}
