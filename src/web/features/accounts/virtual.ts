import { useVirtualizer } from '@tanstack/react-virtual';
import { type RefObject, useEffect } from 'react';

/**
 * Row virtualization for a semantic <table> inside a scrolling card: only the visible rows are in the
 * DOM, with spacer rows above and below keeping the scroll height; asks for the next cursor page when
 * the last rows come into view.
 */
export function useVirtualTable(opts: {
  count: number;
  scrollRef: RefObject<HTMLElement | null>;
  rowHeight: number;
  hasMore: boolean;
  loadMore: () => void;
}) {
  const v = useVirtualizer({
    count: opts.count,
    getScrollElement: () => opts.scrollRef.current,
    estimateSize: () => opts.rowHeight,
    overscan: 10,
  });
  const items = v.getVirtualItems();
  const last = items.at(-1)?.index ?? -1;
  const { hasMore, loadMore, count } = opts;
  useEffect(() => {
    if (hasMore && last >= count - 10) loadMore();
  }, [hasMore, last, count, loadMore]);
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = v.getTotalSize() - (items.at(-1)?.end ?? 0);
  return { items, paddingTop, paddingBottom, measure: v.measureElement };
}
