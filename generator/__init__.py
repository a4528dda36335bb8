"""kkpgen: render and check the network layer of a fleet of KKP user clusters."""
