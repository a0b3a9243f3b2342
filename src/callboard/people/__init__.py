"""What each person keeps in the portal: the entities they starred and the ones they visited last."""
