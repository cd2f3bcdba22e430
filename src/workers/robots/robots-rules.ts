/**
 * robots.txt rules for one origin (pure; wraps robots-parser), following RFC 9309:
 * 2xx -> the file's rules; 3xx that could not be resolved and 4xx -> allow everything;
 * 5xx, 429 or unreachable (status null) -> disallow everything until the next fetch.
 */
import robotsParserModule from 'robots-parser';

// robots-parser is CommonJS (`module.exports = fn`) but its typings declare `export default`;
// under NodeNext TypeScript types the default import as the module object, Node gives the function.
type RobotsParser = typeof robotsParserModule.default;
const robotsParser = robotsParserModule as unknown as RobotsParser;

export interface RobotsRules {
  isAllowed(url: string, userAgent: string): boolean;
  crawlDelayMs(userAgent: string): number;
}

const MAX_CRAWL_DELAY_MS = 60_000;

const ALLOW_ALL: RobotsRules = { isAllowed: () => true, crawlDelayMs: () => 0 };
const DISALLOW_ALL: RobotsRules = { isAllowed: () => false, crawlDelayMs: () => 0 };

/** Whether a robots.txt answer means "unavailable, assume complete disallow" (RFC 9309 2.3.1.4). */
export function isUnreachable(status: number | null): boolean {
  return status === null || status >= 500 || status === 429;
}

export function rulesFromResponse(robotsUrl: string, status: number | null, body: string): RobotsRules {
  if (isUnreachable(status)) return DISALLOW_ALL;
  if (status === null || status < 200 || status >= 300) return ALLOW_ALL;
  const robot = robotsParser(robotsUrl, body);
  return {
    // robots-parser answers undefined for URLs of another origin; the gate never asks those.
    isAllowed: (url, userAgent) => robot.isAllowed(url, userAgent) !== false,
    crawlDelayMs: (userAgent) => {
      const seconds = robot.getCrawlDelay(userAgent);
      if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return 0;
      return Math.min(Math.round(seconds * 1000), MAX_CRAWL_DELAY_MS);
    },
  };
}
