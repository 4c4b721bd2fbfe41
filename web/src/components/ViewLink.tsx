/**
 * A link to another view of the dashboard: a real `href` (open in a new tab, copy, share), and a
 * plain click navigates in place through the history.
 */
import { createContext, useContext, type AnchorHTMLAttributes, type MouseEvent } from 'react';
import { hrefOf } from '../query.js';

export const NavigateContext = createContext<(next: URLSearchParams) => void>(() => {});

export function useNavigate(): (next: URLSearchParams) => void {
  return useContext(NavigateContext);
}

interface Props extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: URLSearchParams;
}

export function ViewLink({ to, onClick, children, ...rest }: Props) {
  const navigate = useNavigate();
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
    window.scrollTo({ top: 0 });
  }
  return (
    <a href={hrefOf(to)} onClick={follow} {...rest}>
      {children}
    </a>
  );
}
