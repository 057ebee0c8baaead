export interface MediaSection {
    mid: string;
    kind: string;
    /** a=msid stream id ("-" when none). */
    streamId: string;
    /** a=msid track id: the MediaStreamTrack id the section carries. */
    trackId: string;
    direction: string;
}
/** Lists the media sections of an SDP with their mid and msid. */
export declare function mediaSections(sdp: string): MediaSection[];
/** Maps mid → track id for the sections that carry one. */
export declare function trackIdsByMid(sdp: string): Map<string, string>;
/** The connection address of an ICE candidate line, or '' if unreadable. */
export declare function candidateAddress(candidate: string): string;
export declare function isLoopbackHost(host: string): boolean;
/**
 * Decides which local candidates to send. A server reached over loopback
 * listens for media on loopback only, so only loopback candidates can
 * connect to it; sending the others would only make the server probe
 * addresses it cannot reach.
 */
export declare function candidateFilter(serverHost: string): (candidate: string) => boolean;
