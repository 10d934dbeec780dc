import { useEffect, useState } from 'react';
import { presenterFromSearch, searchWithPresenter } from '../model/presenter.ts';

/**
 * Presenter mode: on from `?presenter=1`, toggled by the header's button. It is the page's
 * address, not the store, that keeps it (a projector's bookmark, a reload); `data-presenter` on
 * the root element is what `styles/presenter.css` keys on.
 */
export function usePresenter(): [boolean, (on: boolean) => void] {
  const [on, setOn] = useState(() => presenterFromSearch(window.location.search));
  useEffect(() => {
    document.documentElement.dataset.presenter = String(on);
    const search = searchWithPresenter(window.location.search, on);
    if (search !== window.location.search) {
      const { pathname, hash } = window.location;
      window.history.replaceState(window.history.state, '', `${pathname}${search}${hash}`);
    }
  }, [on]);
  return [on, setOn];
}
