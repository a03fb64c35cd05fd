export function seedUsageRollups(
  d1: D1Database,
  options: { teamId: string; keyIds: string[]; models: string[]; endDay: number; days?: number; requests?: number; usdPerRequest?: number },
): Promise<void>;
