/** Who is calling: what every policy rule and audit row uses. */
export interface Identity {
  readonly issuer: string;
  readonly subject: string;
  readonly groups: readonly string[];
  /** OAuth client the token was issued to (`client_id`, else `azp`), when present. */
  readonly clientId: string | null;
  /** Human owner of the agent (issuer `owner_claim`), used to refuse self-approval. */
  readonly owner: string | null;
}
